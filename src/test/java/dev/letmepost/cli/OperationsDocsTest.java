package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topic;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code docs/operations.md}, the other pages of {@code docs/} and the README against the code:
 * every flag of their tables and {@code lmp} command lines exists on the command it is listed for
 * (the picocli model), every topic they name is one of {@code wire/Topics} (or a ledger-internal
 * topic of {@code topology-docs/}), every topic of the registry is in the operations page's topic
 * table, and its metric table lists exactly the meters the code registers.
 */
class OperationsDocsTest {
  private static final Path OPERATIONS = Path.of("docs/operations.md");
  private static final Path README = Path.of("README.md");
  private static final Pattern FLAG = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*)");
  private static final Pattern LMP_COMMAND = Pattern.compile("`(?:\\./)?lmp ([a-z]+)`");
  private static final Pattern CODE_LINE = Pattern.compile("^(?:\\./)?lmp ([a-z]+)(?: ([a-z]+))?");
  private static final Pattern TOPIC = Pattern.compile("`(lmp\\.[A-Za-z0-9._<>*-]+)`");
  private static final Pattern METRIC_ROW = Pattern.compile("^\\| `([a-z_]+)` \\|");

  private final CommandLine lmp = Lmp.commandLine();

  @Test
  void everyFlagOnTheOperationsPageExistsOnTheCommandItIsListedFor() throws IOException {
    List<String> problems = flagProblems(Files.readAllLines(OPERATIONS));
    assertThat(problems).isEmpty();
  }

  @Test
  void everyFlagInTheReadmesTablesAndLmpCommandLinesExists() throws IOException {
    List<String> problems = flagProblems(Files.readAllLines(README));
    assertThat(problems).isEmpty();
  }

  @Test
  void everyFlagInTheTablesAndLmpCommandLinesOfTheOtherDocsExists() throws IOException {
    List<Path> pages = otherDocs();
    assertThat(pages)
        .contains(Path.of("docs/contract.md"), Path.of("docs/publishers.md"))
        .doesNotContain(OPERATIONS);
    List<String> problems = new ArrayList<>();
    for (Path page : pages) {
      flagProblems(Files.readAllLines(page)).forEach(p -> problems.add(page + ": " + p));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void everyTopicTheReadmeAndTheOtherDocsNameExists() throws IOException {
    String internal = Files.readString(Path.of("topology-docs/README.md"));
    Set<String> topics =
        Topics.defaults().all().stream().map(Topic::name).collect(Collectors.toSet());
    List<String> groups = List.of("lmp.ledger", "lmp.publisher-");
    List<Path> pages = new ArrayList<>(otherDocs());
    pages.add(README);
    List<String> unknown = new ArrayList<>();
    for (Path page : pages) {
      Matcher m = TOPIC.matcher(Files.readString(page));
      while (m.find()) {
        if (!namesATopic(m.group(1), topics, groups, internal)) {
          unknown.add(page + ": " + m.group(1));
        }
      }
    }
    assertThat(unknown).as("topics the docs name that do not exist").isEmpty();
  }

  @Test
  void aFlagListedUnderTheWrongCommandIsCaught() {
    List<String> problems =
        flagProblems(
            List.of(
                "### `lmp publisher`",
                "| `--health-port` | 8082 | fine |",
                "| `--http-port` | 8080 | publisher has none |",
                "```sh",
                "./lmp sandbox --port 8090 --answer-timeout PT1S",
                "```",
                "## Elsewhere",
                "| `--no-such-flag` | | on no command |"));
    assertThat(problems)
        .containsExactly(
            "line 3: --http-port is not an option of lmp publisher",
            "line 5: --answer-timeout is not an option of lmp sandbox",
            "line 8: --no-such-flag is not an option of any lmp command");
  }

  @Test
  void everyTopicTheOperationsPageNamesExistsAndEveryTopicIsInItsTable() throws IOException {
    String page = Files.readString(OPERATIONS);
    String internal = Files.readString(Path.of("topology-docs/README.md"));
    Set<String> topics =
        Topics.defaults().all().stream().map(Topic::name).collect(Collectors.toSet());
    List<String> groups = new ArrayList<>(List.of("lmp.ledger", "lmp.publisher-"));

    List<String> unknown = new ArrayList<>();
    Matcher m = TOPIC.matcher(page);
    while (m.find()) {
      String named = m.group(1);
      if (!namesATopic(named, topics, groups, internal)) {
        unknown.add(named);
      }
    }
    assertThat(unknown).as("topics the page names that do not exist").isEmpty();

    String table = section(page, "## Topics");
    Set<String> missing = new TreeSet<>();
    for (String topic : topics) {
      String generic = topic;
      for (Platform p : Platform.values()) {
        generic = generic.replace("." + p.wireName(), ".<platform>");
      }
      if (!table.contains("| `" + generic + "` |")) {
        missing.add(generic);
      }
    }
    assertThat(missing).as("topics of wire/Topics missing from the topic table").isEmpty();
  }

  @Test
  void theMetricTableListsExactlyTheMetersTheCodeRegisters() throws IOException {
    Set<String> registered = new TreeSet<>();
    Set<String> samples = RegisteredMetrics.sampleNames();
    for (String name : samples) {
      if (name.startsWith("lmp_")) {
        registered.add(family(name, samples));
      }
    }
    Set<String> documented = new TreeSet<>();
    Set<String> otherDocumented = new TreeSet<>();
    for (String line : section(Files.readString(OPERATIONS), "## Metrics and alerts").split("\n")) {
      Matcher m = METRIC_ROW.matcher(line);
      if (m.find()) {
        (m.group(1).startsWith("lmp_") ? documented : otherDocumented).add(m.group(1));
      }
    }
    assertThat(documented).isEqualTo(registered);
    for (String name : otherDocumented) {
      assertThat(samples).as("documented Kafka Streams metric " + name).contains(name);
    }
    assertThat(otherDocumented).isNotEmpty();
  }

  @Test
  void theAlertTableNamesEveryAlertOfTheRulesFile() throws IOException {
    Set<String> rules = new TreeSet<>();
    Matcher m =
        Pattern.compile("(?m)^\\s+- alert: (\\w+)$")
            .matcher(Files.readString(Path.of("deploy/prometheus/alerts.yml")));
    while (m.find()) {
      rules.add(m.group(1));
    }
    Set<String> documented = new TreeSet<>();
    Matcher d = Pattern.compile("(?m)^\\| `(Lmp\\w+)` \\|").matcher(Files.readString(OPERATIONS));
    while (d.find()) {
      documented.add(d.group(1));
    }
    assertThat(documented).isEqualTo(rules).hasSizeGreaterThan(5);
  }

  @Test
  void theReadmeLinksTheOperationsPageFromRunningOnARealCluster() throws IOException {
    assertThat(section(Files.readString(README), "## Running on a real cluster"))
        .contains("](docs/operations.md)");
  }

  // ---- helpers ----

  /** The Markdown pages of {@code docs/} but the operations page, which has tests of its own. */
  private static List<Path> otherDocs() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("docs"))) {
      return files
          .filter(p -> p.toString().endsWith(".md") && !p.equals(OPERATIONS))
          .sorted()
          .toList();
    }
  }

  /**
   * Every flag of the doc's tables and of its {@code lmp} command lines that is not an option of
   * the command it belongs to: a table row under a heading naming {@code lmp <command>} (or whose
   * first cell names one) belongs to that command, a code line {@code ./lmp <command> ...} to its
   * command; any other table row to any command.
   */
  List<String> flagProblems(List<String> lines) {
    List<String> problems = new ArrayList<>();
    String headingCommand = null;
    boolean inCode = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("```")) {
        inCode = !inCode;
        continue;
      }
      if (!inCode && line.startsWith("#")) {
        Matcher m = LMP_COMMAND.matcher(line);
        headingCommand = m.find() ? m.group(1) : null;
        continue;
      }
      CommandLine command;
      String where;
      if (inCode) {
        Matcher m = CODE_LINE.matcher(line.trim());
        if (!m.find()) {
          continue;
        }
        command = subcommand(m.group(1), m.group(2));
        where = "lmp " + command.getCommandSpec().qualifiedName(" ").replaceFirst("^lmp ", "");
      } else if (line.startsWith("|")) {
        String firstCell = line.split("\\|", 3).length > 1 ? line.split("\\|", 3)[1] : "";
        Matcher row = LMP_COMMAND.matcher(firstCell);
        String name = row.find() ? row.group(1) : headingCommand;
        command = name == null ? null : subcommand(name, null);
        where = command == null ? "any lmp command" : "lmp " + name;
      } else {
        continue;
      }
      Matcher f = FLAG.matcher(line);
      while (f.find()) {
        String flag = f.group(1);
        if (!hasOption(command, flag)) {
          problems.add("line " + (i + 1) + ": " + flag + " is not an option of " + where);
        }
      }
    }
    return problems;
  }

  private CommandLine subcommand(String name, String sub) {
    CommandLine c = lmp.getSubcommands().get(name);
    if (c == null) {
      throw new AssertionError("no command lmp " + name);
    }
    if (sub != null && c.getSubcommands().containsKey(sub)) {
      return c.getSubcommands().get(sub);
    }
    return c;
  }

  /** Whether {@code command} (or, when null, any command) has the option {@code flag}. */
  private boolean hasOption(CommandLine command, String flag) {
    if (command != null) {
      return optionNames(command).contains(flag);
    }
    return allCommands(lmp).stream().anyMatch(c -> optionNames(c).contains(flag));
  }

  private static Set<String> optionNames(CommandLine c) {
    Set<String> names = new TreeSet<>();
    c.getCommandSpec()
        .options()
        .forEach(
            o -> {
              names.addAll(List.of(o.names()));
              if (o.negatable()) {
                for (String n : o.names()) {
                  names.add(
                      n.startsWith("--no-") ? "--" + n.substring(5) : "--no-" + n.substring(2));
                }
              }
            });
    return names;
  }

  private static List<CommandLine> allCommands(CommandLine root) {
    List<CommandLine> all = new ArrayList<>();
    all.add(root);
    for (CommandLine sub : root.getSubcommands().values()) {
      all.addAll(allCommands(sub));
    }
    return all;
  }

  /** The doc's text from {@code heading} to the next heading of the same level. */
  static String section(String doc, String heading) {
    int start = doc.indexOf("\n" + heading + "\n");
    assertThat(start).as("heading " + heading).isNotNegative();
    String level = heading.substring(0, heading.indexOf(' ') + 1);
    int end = doc.indexOf("\n" + level, start + heading.length() + 1);
    return doc.substring(start, end < 0 ? doc.length() : end);
  }

  private static boolean namesATopic(
      String named, Set<String> topics, List<String> groups, String internal) {
    if (named.contains("<platform>")) {
      return Platform.byName("sandbox")
          .map(p -> topics.contains(named.replace("<platform>", p.wireName())))
          .orElse(false);
    }
    if (topics.contains(named) || groups.contains(named)) {
      return true;
    }
    if (named.startsWith("lmp.ledger-")) {
      return internal.contains("`" + named + "`");
    }
    String prefix = named.endsWith("*") ? named.substring(0, named.length() - 1) : named;
    return (prefix.endsWith(".") || prefix.endsWith("-"))
        && topics.stream().anyMatch(t -> t.startsWith(prefix));
  }

  /**
   * A sample's family: a histogram's {@code _bucket}, {@code _count}, {@code _sum}, {@code _max}.
   */
  private static String family(String sample, Set<String> samples) {
    for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) {
      if (sample.endsWith(suffix)) {
        String base = sample.substring(0, sample.length() - suffix.length());
        if (samples.contains(base + "_bucket")) {
          return base;
        }
      }
    }
    return sample;
  }
}

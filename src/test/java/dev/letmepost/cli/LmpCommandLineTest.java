package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerRocksDb;
import dev.letmepost.wire.ClientSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Member;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The {@code lmp} command line's parsing and the bodies it builds; nothing reaches Kafka. */
class LmpCommandLineTest {
  @Test
  void postBuildsTheContractBodyFromTargetsPlatformsAndText() {
    PostCommand.Built b = new PostCommand.Built();
    b.accounts = List.of("acc_1", "acc_2");
    b.platforms = List.of("bluesky");
    b.text = "hi \"there\"";
    assertThat(new String(PostCommand.build(b), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"targets\":[{\"accountId\":\"acc_1\"},{\"accountId\":\"acc_2\"},{\"platform\":\"bluesky\"}],\"text\":\"hi \\\"there\\\"\"}");
  }

  @Test
  void postWithoutPrincipalIsAUsageErrorNamingTheOption() {
    StringWriter err = new StringWriter();
    CommandLine cli = Lmp.commandLine().setErr(new PrintWriter(err));
    int code = cli.execute("post", "--target", "acc_1", "--text", "hi");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--principal");
  }

  @Test
  void postRejectsABodyFileTogetherWithText() {
    StringWriter err = new StringWriter();
    int code =
        Lmp.commandLine()
            .setErr(new PrintWriter(err))
            .execute("post", "--principal", "p", "--body-file", "b.json", "--text", "hi");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("mutually exclusive");
  }

  @Test
  void accountsAddRejectsAnUnknownPlatformNamingIt() {
    StringWriter err = new StringWriter();
    int code =
        Lmp.commandLine()
            .setErr(new PrintWriter(err))
            .execute(
                "accounts", "add", "--id", "acc_1", "--principal", "p", "--platform", "myspace");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .isEqualTo("lmp add: unknown platform 'myspace'" + System.lineSeparator());
  }

  @Test
  void serveParsesDurationsAndRepeatableStreamsConfig() {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve)
        .parseArgs(
            "--replay-ttl",
            "PT10M",
            "--streams-config",
            "num.stream.threads=2",
            "--streams-config",
            "commit.interval.ms=50",
            "--no-demo");
    assertThat(serve.ledgerOptions.replayTtl).hasMinutes(10);
    assertThat(serve.ledgerOptions.streamsConfig)
        .containsEntry("num.stream.threads", "2")
        .containsEntry("commit.interval.ms", "50");
    assertThat(serve.demo).isFalse();
    assertThat(serve.ledgerOptions.partitions.count).isEqualTo(6);
    assertThat(serve.kafkaPort).isEqualTo(9092);
  }

  @Test
  void streamThreadsAndRocksDbMemoryReachTheLedgersStreamsPropertiesOnEveryRoleThatRunsIt() {
    String[] flags = {"--stream-threads", "3", "--rocksdb-memory-mib", "128"};
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs(flags);
    GatewayCommand gateway = new GatewayCommand();
    new CommandLine(gateway).parseArgs(concat(flags, "--bootstrap-servers", "k1:9092"));
    LedgerCommand ledger = new LedgerCommand();
    new CommandLine(ledger).parseArgs(concat(flags, "--bootstrap-servers", "k1:9092"));
    for (LedgerOptions options :
        List.of(serve.ledgerOptions, gateway.ledgerOptions, ledger.ledgerOptions)) {
      Properties p = streamsProperties(options);
      assertThat(p.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo("3");
      assertThat(p.get(LedgerRocksDb.MEMORY_CONFIG)).isEqualTo(Long.toString(128L << 20));
    }
  }

  @Test
  void oneStreamThreadAnd64MiBOfRocksDbByDefaultAndStreamsConfigStillWins() {
    ServeCommand byDefault = new ServeCommand();
    new CommandLine(byDefault).parseArgs();
    Properties p = streamsProperties(byDefault.ledgerOptions);
    assertThat(p.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo("1");
    assertThat(p.get(LedgerRocksDb.MEMORY_CONFIG)).isEqualTo(Long.toString(64L << 20));

    ServeCommand overridden = new ServeCommand();
    new CommandLine(overridden)
        .parseArgs("--stream-threads", "2", "--streams-config", "num.stream.threads=4");
    assertThat(
            streamsProperties(overridden.ledgerOptions)
                .get(StreamsConfig.NUM_STREAM_THREADS_CONFIG))
        .isEqualTo("4");
  }

  @Test
  void noStreamThreadOrTooLittleRocksDbMemoryIsRefusedNamingTheFlag() {
    ServeCommand noThread = new ServeCommand();
    new CommandLine(noThread).parseArgs("--stream-threads", "0");
    assertThatThrownBy(() -> noThread.ledgerOptions.streamsOverrides(Map.of()))
        .hasMessage("--stream-threads must be at least 1, got 0");
    ServeCommand tiny = new ServeCommand();
    new CommandLine(tiny).parseArgs("--rocksdb-memory-mib", "4");
    assertThatThrownBy(() -> tiny.ledgerOptions.streamsOverrides(Map.of()))
        .hasMessage("--rocksdb-memory-mib must be at least 8, got 4");
  }

  private static Properties streamsProperties(LedgerOptions options) {
    return LedgerApp.streamsProperties(
        options.config(),
        ClientSettings.of("k1:9092"),
        Path.of("state"),
        options.streamsOverrides(Map.of()));
  }

  private static String[] concat(String[] a, String... b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /**
   * Regression: {@code --publishers} was a picocli negatable option defaulting to true, for which
   * picocli makes {@code --no-publishers} keep true; a "ledger only" child then ran publishers too.
   */
  @Test
  void serveRunsThePublishersUnlessNoPublishersIsGiven() {
    ServeCommand byDefault = new ServeCommand();
    new CommandLine(byDefault).parseArgs();
    ServeCommand ledgerOnly = new ServeCommand();
    new CommandLine(ledgerOnly).parseArgs("--no-publishers");

    assertThat(byDefault.noPublishers).isFalse();
    assertThat(ledgerOnly.noPublishers).isTrue();
    assertThat(byDefault.sandboxPort).isEqualTo(8090);
    assertThat(byDefault.sandboxLatency).isEqualTo("0ms");
  }

  @Test
  void publisherTakesPlatformsByNameCommaListOrAll() {
    assertThat(PublisherCommand.parsePlatforms(java.util.List.of("x", "bluesky,mastodon")))
        .containsExactly(
            dev.letmepost.wire.Platform.TWITTER,
            dev.letmepost.wire.Platform.BLUESKY,
            dev.letmepost.wire.Platform.MASTODON);
    assertThat(PublisherCommand.parsePlatforms(java.util.List.of("all")))
        .hasSize(dev.letmepost.wire.Platform.values().length);
  }

  @Test
  void publisherRejectsAnUnknownPlatformNamingIt() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = Lmp.commandLine();
    cli.setErr(new java.io.PrintWriter(err));

    int code = cli.execute("publisher", "--platform", "myspace");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("unknown platform 'myspace'");
  }

  @Test
  void accountsAddRefusesASecretPassedAsCredentialsWithoutEchoingIt() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = Lmp.commandLine();
    cli.setErr(new java.io.PrintWriter(err));

    int code =
        cli.execute(
            "accounts",
            "add",
            "--id",
            "acc_1",
            "--principal",
            "key_a",
            "--platform",
            "mastodon",
            "--credentials",
            "tok-PASTED-SECRET");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains("env:NAME or file:PATH")
        .doesNotContain("tok-PASTED-SECRET");
  }

  /**
   * Broke: the ledger's 60 s {@code --outcome-grace} was shorter than a Bluesky call (100 s), so an
   * outcome written after a slow call found its target already unknown. A shorter grace is now
   * refused at start-up, naming both values; the default covers the slowest platform.
   */
  @Test
  void serveRefusesAnOutcomeGraceShorterThanTheLongestPlatformCall() {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs("--outcome-grace", "PT60S", "--no-demo");

    assertThatThrownBy(() -> serve.ledgerOptions.config())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outcomeGrace (PT1M) must be at least the longest platform call")
        .hasMessageContaining("PT1M40S: bluesky, 4 requests of at most PT25S");

    ServeCommand byDefault = new ServeCommand();
    new CommandLine(byDefault).parseArgs("--no-demo");
    assertThat(byDefault.ledgerOptions.config().outcomeGrace()).isEqualTo(Duration.ofMinutes(2));
  }

  /** {@code --max-command-lag} at or past {@code --replay-ttl} is refused, naming both. */
  @Test
  void serveRefusesAMaxCommandLagNotShorterThanTheReplayTtl() {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs("--max-command-lag", "PT24H", "--no-demo");

    assertThatThrownBy(() -> serve.ledgerOptions.config())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxCommandLag (PT24H) must be shorter than replayTtl (PT24H)");
  }

  /**
   * A request timeout that makes one platform request longer than the 25 s the ledger's grace is
   * derived from is refused before the publisher starts, naming the values.
   */
  @Test
  void publisherRefusesARequestTimeoutBeyondTheDeclaredRequestTime() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = Lmp.commandLine();
    cli.setErr(new java.io.PrintWriter(err));

    int code = cli.execute("publisher", "--platform", "bluesky", "--request-timeout", "PT30S");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains(
            "--request-timeout PT30S plus the PT5S connect timeout is PT35S, more than the PT25S"
                + " one platform request may take")
        .contains("use at most PT20S");
  }

  /**
   * Broke: {@code accounts add --endpoint} took any URL, so a Mastodon account could name the cloud
   * metadata address. It is refused at registration (the publishers check again before each call).
   */
  @Test
  void accountsAddRefusesAnEndpointAtALinkLocalAddress() {
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = Lmp.commandLine();
    cli.setErr(new java.io.PrintWriter(err));

    int code =
        cli.execute(
            "accounts",
            "add",
            "--id",
            "acc_1",
            "--principal",
            "key_a",
            "--platform",
            "mastodon",
            "--endpoint",
            "https://169.254.169.254/latest",
            "--credentials",
            "env:TOKEN");

    assertThat(code).isEqualTo(1);
    assertThat(err.toString())
        .contains(
            "endpoint 'https://169.254.169.254/latest' refused: the host '169.254.169.254' resolves"
                + " to 169.254.169.254: link-local addresses are not allowed"
                + " (--allow-private-endpoints allows them)");
  }

  @Test
  void accountsAddTakesAPrivateEndpointWithTheSwitch() {
    dev.letmepost.net.AddressGuard.Resolver resolver =
        host -> new java.net.InetAddress[] {java.net.InetAddress.getByName("10.1.2.3")};

    assertThatCode(
            () ->
                AccountsCommand.Add.checkEndpoint(
                    "https://10.1.2.3",
                    new dev.letmepost.net.AddressGuard.Policy(false, true),
                    resolver))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                AccountsCommand.Add.checkEndpoint(
                    "https://10.1.2.3", dev.letmepost.net.AddressGuard.Policy.STRICT, resolver))
        .hasMessageContaining("private addresses are not allowed");
  }

  /**
   * Broke: {@code LMP_TOPIC_PREFIX} was the default of {@code --topic-prefix} for {@code post},
   * {@code accounts}, {@code keys}, {@code webhooks} and {@code publisher}, but {@code serve},
   * {@code gateway} and {@code ledger} declared their own {@code --topic-prefix} defaulting to
   * {@code lmp.}: with the variable set for a deployment, the publishers read {@code
   * <prefix>publish.*} while the ledger wrote {@code lmp.publish.*}, and nothing was published.
   * Every command now takes it; checked in a child JVM, where the variable can be set.
   */
  @Test
  void everyCommandTakesTheTopicPrefixFromLmpTopicPrefix() throws Exception {
    ProcessBuilder child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                TopicPrefixDefaults.class.getName())
            .redirectErrorStream(true);
    child.environment().put("LMP_TOPIC_PREFIX", "staging.");
    Process p = child.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    Map<String, String> defaults = new TreeMap<>();
    for (String line : out.split("\\R")) {
      int eq = line.indexOf('=');
      if (line.startsWith("lmp ") && eq > 0) {
        defaults.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    assertThat(defaults)
        .containsKeys(
            "lmp serve",
            "lmp gateway",
            "lmp ledger",
            "lmp publisher",
            "lmp post",
            "lmp accounts add",
            "lmp keys create",
            "lmp webhooks dispatch");
    assertThat(Set.copyOf(defaults.values())).containsExactly("staging.");
    assertThat(TopicPrefixDefaults.of(Lmp.commandLine()).values())
        .as("without LMP_TOPIC_PREFIX")
        .containsOnly("lmp.");
  }

  /** Prints each command's default {@code --topic-prefix} as {@code <command>=<default>}. */
  static final class TopicPrefixDefaults {
    public static void main(String[] args) {
      of(Lmp.commandLine())
          .forEach((command, prefix) -> System.out.println(command + "=" + prefix));
    }

    static Map<String, String> of(CommandLine root) {
      Map<String, String> defaults = new TreeMap<>();
      for (CommandLine c : allCommands(root)) {
        OptionSpec o = c.getCommandSpec().findOption("--topic-prefix");
        if (o != null) {
          defaults.put(c.getCommandSpec().qualifiedName(), o.defaultValue());
        }
      }
      return defaults;
    }
  }

  /**
   * Each option is declared once, with one default and one description, for every command that
   * takes it (a role's own default, such as its health port, is given by the command to the one
   * declaration). The names below are different options under one name.
   */
  @Test
  void everyOptionIsDeclaredOnceButDifferentOptionsUnderOneName() {
    Map<String, String> differentOptions =
        Map.of(
            "--allow-private-endpoints",
            "accounts add: accept the endpoint; publisher: call such endpoints",
            "--bootstrap-servers",
            "clients: 127.0.0.1:9092; gateway, ledger: required; serve: else the embedded broker;"
                + " bench: else a fresh embedded broker, never the environment's cluster",
            "--data-dir",
            "bench: else a fresh temporary directory, deleted at the end",
            "--demo",
            "serve: the demo mode; gateway: register the demo data; webhooks: the demo key",
            "--id",
            "an account's, an endpoint's",
            "--platform",
            "what to publish to, a default account's, an account's",
            "--principal",
            "whose key, account, endpoint or post; the filter of a list");
    Map<String, Set<String>> declarations = new TreeMap<>();
    for (CommandLine c : allCommands(Lmp.commandLine())) {
      for (OptionSpec o : c.getCommandSpec().options()) {
        Member m = (Member) o.userObject();
        declarations
            .computeIfAbsent(o.longestName(), k -> new TreeSet<>())
            .add(m.getDeclaringClass().getSimpleName() + "." + m.getName());
      }
    }
    declarations.entrySet().removeIf(e -> e.getValue().size() == 1);

    assertThat(declarations.keySet()).isEqualTo(differentOptions.keySet());
  }

  private static List<CommandLine> allCommands(CommandLine root) {
    List<CommandLine> all = new ArrayList<>(List.of(root));
    root.getSubcommands().values().forEach(sub -> all.addAll(allCommands(sub)));
    return all;
  }
}

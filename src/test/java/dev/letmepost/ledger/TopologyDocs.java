package dev.letmepost.ledger;

import dev.letmepost.command.Limits;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyDescription.GlobalStore;
import org.apache.kafka.streams.TopologyDescription.Node;
import org.apache.kafka.streams.TopologyDescription.Processor;
import org.apache.kafka.streams.TopologyDescription.Sink;
import org.apache.kafka.streams.TopologyDescription.Source;
import org.apache.kafka.streams.TopologyDescription.Subtopology;

/**
 * The generator of {@code topology-docs/}: the ledger topology's {@code describe()} text, a Mermaid
 * diagram walked from its {@link TopologyDescription}, and a README saying what each node decides.
 * {@code TopologyDocsTest} fails while the committed files differ from what this writes.
 *
 * <p>It lives in the test sources, not in the runtime jar: it needs the test classpath (the prose
 * is the test resource {@value #PROSE_SOURCE}). Run it with {@link #REGENERATE_COMMAND} from the
 * project root; {@code args[0]} overrides the output directory.
 */
public final class TopologyDocs {
  /*
   * Why prose is checked both ways: describe() knows names, topics and stores but not what a
   * node decides, so that is written by hand in prose.md, keyed by node and store name. A node
   * without prose, or prose for a node the topology lost, fails generation (and so the test):
   * the docs cannot silently drift from LedgerTopology. Numbers in the prose (TTL, deadline,
   * waiters, partitions) are ${placeholders} filled from the LedgerConfig, never literals.
   *
   * Determinism: everything is ordered explicitly (sub-topologies by id, nodes in data-flow
   * order with ties by name, topics and stores by name). topology.txt is describe().toString()
   * verbatim; the dynamic sink prints as its PublishTopic extractor's stable toString().
   */

  /**
   * Regenerates topology-docs/ from the project root; works offline once dependencies are cached.
   */
  public static final String REGENERATE_COMMAND =
      "./mvnw -q test-compile dependency:build-classpath -Dmdep.includeScope=test"
          + " -Dmdep.outputFile=target/cp.txt"
          + " && java -cp \"target/classes:target/test-classes:$(cat target/cp.txt)\""
          + " dev.letmepost.ledger.TopologyDocs";

  public static final String DEFAULT_DIRECTORY = "topology-docs";
  public static final String DESCRIBE_FILE = "topology.txt";
  public static final String MERMAID_FILE = "topology.mmd";
  public static final String README_FILE = "README.md";

  /** Every generated file, in the order they are written. */
  public static final List<String> FILES = List.of(DESCRIBE_FILE, MERMAID_FILE, README_FILE);

  private static final Pattern AUTO_NAMED = Pattern.compile("^(KSTREAM|KTABLE)-.*-\\d{10}$");

  private TopologyDocs() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : DEFAULT_DIRECTORY);
    for (Path written : write(dir)) {
      System.out.println("wrote " + written);
    }
  }

  /** Writes the docs of the default ledger topology into {@code dir}; returns the files written. */
  public static List<Path> write(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    for (Map.Entry<String, String> file :
        render(LedgerConfig.defaults(Topics.defaults())).entrySet()) {
      Path path = dir.resolve(file.getKey());
      Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
      written.add(path);
    }
    return written;
  }

  /** The contents of every file in {@link #FILES}, keyed by file name, for the given config. */
  static Map<String, String> render(LedgerConfig config) {
    return render(LedgerTopology.topology(config), config, nodeProse(config), storeProse(config));
  }

  /**
   * The contents of every file in {@link #FILES} for {@code topology}, described with the given
   * prose.
   *
   * @throws IllegalStateException when a node or store has no prose, or prose names a node or store
   *     the topology does not have
   */
  static Map<String, String> render(
      Topology topology,
      LedgerConfig config,
      Map<String, String> nodeProse,
      Map<String, StoreProse> storeProse) {
    TopologyDescription description = topology.describe();
    Map<String, String> dynamicSinks = dynamicSinkTopics(config);
    checkCoverage(description, nodeProse, storeProse, dynamicSinks);
    Graph graph = new Graph(description, dynamicSinks);
    String mermaid = mermaid(graph);
    Map<String, String> files = new LinkedHashMap<>();
    files.put(DESCRIBE_FILE, description.toString());
    files.put(MERMAID_FILE, mermaid);
    files.put(README_FILE, readme(graph, config, nodeProse, storeProse, mermaid));
    return files;
  }

  // ---------------------------------------------------------------- prose

  /**
   * The prose file, a test resource on the classpath: its first lines describe the format. Kept out
   * of Java so that the prose reads, and diffs, as text.
   */
  static final String PROSE_RESOURCE = "/topology-docs/prose.md";

  /** Where {@link #PROSE_RESOURCE} lives in the source tree, for messages. */
  static final String PROSE_SOURCE = "src/test/resources/topology-docs/prose.md";

  private static final Pattern ENTRY = Pattern.compile("^## (node|store) (\\S+)$");
  private static final Pattern FIELD =
      Pattern.compile("^- (type|contents|retention|changelog):(.*)$");
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9.-]+)\\}");

  /** What each node of the ledger topology decides, keyed by node name. */
  static Map<String, String> nodeProse(LedgerConfig c) {
    return prose(c).nodes();
  }

  /** What each store of the ledger topology holds, keyed by store name. */
  static Map<String, StoreProse> storeProse(LedgerConfig c) {
    return prose(c).stores();
  }

  /** The prose of {@link #PROSE_RESOURCE} with the placeholders filled in for {@code c}. */
  static Prose prose(LedgerConfig c) {
    try (InputStream in = TopologyDocs.class.getResourceAsStream(PROSE_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            PROSE_RESOURCE + " is not on the classpath (" + PROSE_SOURCE + ", test scope)");
      }
      return Prose.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), placeholders(c));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The values the prose's {@code ${name}} placeholders stand for: the config's durations as people
   * write them, topic, store and changelog names, and the constants the prose quotes.
   */
  static Map<String, String> placeholders(LedgerConfig c) {
    Topics t = c.topics();
    Map<String, String> v = new TreeMap<>();
    v.put("topic.accounts", t.accounts().name());
    v.put("topic.post-commands", t.commands().name());
    v.put("topic.post-results", t.results().name());
    v.put("topic.dead-letters", t.deadLetters().name());
    v.put("topic.target-outcomes", t.outcomes().name());
    v.put("topic.publish", t.publishTopicName("<platform>"));
    v.put("topic.post-events", t.events().name());
    v.put("eventTypeHeader", PostEvents.TYPE_HEADER);
    v.put("applicationId", applicationId(c));
    v.put("partitions", Integer.toString(c.partitions()));
    v.put("maxBodyBytes", Integer.toString(Limits.MAX_BODY_BYTES));
    v.put("tickHeader", Inbound.TICK_HEADER);
    v.put("reroutedHeader", Inbound.REROUTED_HEADER);
    v.put("maxWaiters", Integer.toString(c.maxWaiters()));
    v.put("targetDeadline", human(c.targetDeadline()));
    v.put("maxScheduleAhead", human(c.replayTtl().minus(c.targetDeadline())));
    v.put("maxCommandLag", human(c.maxCommandLag()));
    v.put("timerInterval", human(c.timerInterval()));
    v.put("outcomeGrace", human(c.outcomeGrace()));
    v.put("retention", human(c.retention()));
    v.put("replayTtl", human(c.replayTtl()));
    v.put("skewAllowance", human(c.skewAllowance()));
    for (String store :
        List.of(
            LedgerTopology.REPLAY_STORE,
            LedgerTopology.TIMER_STORE,
            LedgerTopology.REQUEST_INDEX,
            LedgerTopology.BATCH_INDEX)) {
      v.put("store." + store, store);
      v.put("changelog." + store, changelog(c, store));
    }
    v.put("store." + LedgerTopology.ACCOUNTS_STORE, LedgerTopology.ACCOUNTS_STORE);
    return v;
  }

  /** The prose of every node and store, keyed by name. */
  record Prose(Map<String, String> nodes, Map<String, StoreProse> stores) {
    /**
     * Parses the prose file's text (format in its first lines), filling in {@code values}.
     *
     * @throws IllegalStateException naming the line of a malformed entry, a repeated entry or
     *     field, a missing field or an unknown placeholder
     */
    static Prose parse(String text, Map<String, String> values) {
      Map<String, String> nodes = new HashMap<>();
      Map<String, StoreProse> stores = new HashMap<>();
      String[] lines = text.split("\n", -1);
      int i = 0;
      while (i < lines.length && !lines[i].startsWith("## ")) {
        i++;
      }
      while (i < lines.length) {
        int headerLine = i + 1;
        Matcher entry = ENTRY.matcher(lines[i]);
        if (!entry.matches()) {
          throw problem(
              headerLine, "expected '## node NAME' or '## store NAME', got '" + lines[i] + "'");
        }
        String kind = entry.group(1);
        String name = entry.group(2);
        i++;
        List<String> words = new ArrayList<>();
        Map<String, List<String>> fields = new LinkedHashMap<>();
        List<String> field = null;
        for (; i < lines.length && !lines[i].startsWith("## "); i++) {
          String line = lines[i];
          if (line.isBlank()) {
            continue;
          }
          String filled = fill(line.strip(), values, i + 1);
          if (kind.equals("node")) {
            words.add(filled);
            continue;
          }
          Matcher f = FIELD.matcher(line);
          if (f.matches()) {
            field = new ArrayList<>();
            if (fields.put(f.group(1), field) != null) {
              throw problem(i + 1, "store " + name + " repeats the field " + f.group(1));
            }
            String rest = fill(f.group(2).strip(), values, i + 1);
            if (!rest.isEmpty()) {
              field.add(rest);
            }
          } else if (field != null && Character.isWhitespace(line.charAt(0))) {
            field.add(filled);
          } else {
            throw problem(
                i + 1,
                "expected '- type:', '- contents:', '- retention:', '- changelog:' or an indented"
                    + " line in store "
                    + name
                    + ", got '"
                    + line
                    + "'");
          }
        }
        if (kind.equals("node")) {
          if (words.isEmpty()) {
            throw problem(headerLine, "node " + name + " has no prose");
          }
          if (nodes.put(name, String.join(" ", words)) != null) {
            throw problem(headerLine, "node " + name + " has a second entry");
          }
        } else {
          List<String> missing = new ArrayList<>();
          for (String required : List.of("type", "contents", "retention", "changelog")) {
            if (fields.getOrDefault(required, List.of()).isEmpty()) {
              missing.add(required);
            }
          }
          if (!missing.isEmpty()) {
            throw problem(headerLine, "store " + name + " lacks " + String.join(", ", missing));
          }
          StoreProse prose =
              new StoreProse(
                  String.join(" ", fields.get("type")),
                  String.join(" ", fields.get("contents")),
                  String.join(" ", fields.get("retention")),
                  String.join(" ", fields.get("changelog")));
          if (stores.put(name, prose) != null) {
            throw problem(headerLine, "store " + name + " has a second entry");
          }
        }
      }
      return new Prose(Map.copyOf(nodes), Map.copyOf(stores));
    }

    private static String fill(String line, Map<String, String> values, int lineNumber) {
      Matcher m = PLACEHOLDER.matcher(line);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String value = values.get(m.group(1));
        if (value == null) {
          throw problem(
              lineNumber,
              "unknown placeholder ${"
                  + m.group(1)
                  + "}; known: "
                  + new TreeSet<>(values.keySet()));
        }
        m.appendReplacement(out, Matcher.quoteReplacement(value));
      }
      m.appendTail(out);
      if (out.indexOf("${") >= 0) {
        throw problem(lineNumber, "malformed placeholder in '" + line + "'");
      }
      return out.toString();
    }

    private static IllegalStateException problem(int line, String message) {
      return new IllegalStateException(PROSE_SOURCE + ":" + line + ": " + message);
    }
  }

  /** What a state store holds and how long, keyed by store name. */
  record StoreProse(String type, String contents, String retention, String changelog) {
    StoreProse {
      Objects.requireNonNull(type, "type");
      Objects.requireNonNull(contents, "contents");
      Objects.requireNonNull(retention, "retention");
      Objects.requireNonNull(changelog, "changelog");
    }
  }

  /** Sinks whose topic is chosen per record, with the topic pattern the docs show for them. */
  static Map<String, String> dynamicSinkTopics(LedgerConfig c) {
    return Map.of("publish-tasks", c.topics().publishTopicName("<platform>"));
  }

  private static String applicationId(LedgerConfig c) {
    return LedgerApp.streamsProperties(
            c, ClientSettings.of("localhost:9092"), Path.of("."), Map.of())
        .getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
  }

  private static String changelog(LedgerConfig c, String store) {
    return applicationId(c) + "-" + store + "-changelog";
  }

  // ---------------------------------------------------------------- drift checks

  static void checkCoverage(
      TopologyDescription description,
      Map<String, String> nodeProse,
      Map<String, StoreProse> storeProse,
      Map<String, String> dynamicSinks) {
    Set<String> nodes = new TreeSet<>();
    Set<String> stores = new TreeSet<>();
    Set<String> dynamic = new TreeSet<>();
    for (Node node : allNodes(description)) {
      nodes.add(node.name());
      if (node instanceof Processor p) {
        stores.addAll(p.stores());
      }
      if (node instanceof Sink s && s.topic() == null) {
        dynamic.add(s.name());
      }
    }
    List<String> problems = new ArrayList<>();
    mismatch(problems, "node", "TopologyDocs.nodeProse", nodes, nodeProse.keySet());
    mismatch(problems, "store", "TopologyDocs.storeProse", stores, storeProse.keySet());
    mismatch(
        problems, "dynamic sink", "TopologyDocs.dynamicSinkTopics", dynamic, dynamicSinks.keySet());
    List<String> autoNamed = nodes.stream().filter(n -> AUTO_NAMED.matcher(n).matches()).toList();
    if (!autoNamed.isEmpty()) {
      problems.add(
          "nodes with generated names "
              + autoNamed
              + " (name them with Named.as / withName in LedgerTopology so the docs stay stable)");
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "topology docs are out of step with LedgerTopology: " + String.join("; ", problems));
    }
  }

  private static void mismatch(
      List<String> problems,
      String what,
      String where,
      Set<String> actual,
      Set<String> documented) {
    Set<String> undocumented = new TreeSet<>(actual);
    undocumented.removeAll(documented);
    Set<String> gone = new TreeSet<>(documented);
    gone.removeAll(actual);
    if (!undocumented.isEmpty()) {
      problems.add(what + "s without an entry in " + where + ": " + undocumented);
    }
    if (!gone.isEmpty()) {
      problems.add(where + " names " + what + "s the topology no longer has: " + gone);
    }
  }

  private static List<Node> allNodes(TopologyDescription description) {
    List<Node> nodes = new ArrayList<>();
    for (GlobalStore g : description.globalStores()) {
      nodes.add(g.source());
      nodes.add(g.processor());
    }
    for (Subtopology s : description.subtopologies()) {
      nodes.addAll(s.nodes());
    }
    return nodes;
  }

  // ---------------------------------------------------------------- the graph, ordered

  /** One group of nodes: a sub-topology, or the global store's source and processor. */
  private record Group(String id, String title, List<Node> nodes) {}

  /** The description walked once, in a stable order, with stable Mermaid ids. */
  private static final class Graph {
    final List<Group> groups = new ArrayList<>();
    final Map<String, String> dynamicSinks;
    final Map<String, String> ids = new HashMap<>();
    final Map<String, String> idOwners = new HashMap<>();

    Graph(TopologyDescription description, Map<String, String> dynamicSinks) {
      this.dynamicSinks = dynamicSinks;
      description.globalStores().stream()
          .sorted(Comparator.comparingInt(GlobalStore::id))
          .forEach(
              g ->
                  groups.add(
                      new Group(
                          "global_" + g.id(),
                          "Sub-topology "
                              + g.id()
                              + ": global store "
                              + String.join(", ", new TreeSet<>(g.processor().stores())),
                          List.of(g.source(), g.processor()))));
      description.subtopologies().stream()
          .sorted(Comparator.comparingInt(Subtopology::id))
          .forEach(
              s ->
                  groups.add(
                      new Group("sub_" + s.id(), "Sub-topology " + s.id(), flowOrder(s.nodes()))));
    }

    List<Node> nodes() {
      return groups.stream().flatMap(g -> g.nodes().stream()).toList();
    }

    /** Topics in name order: what sources read and sinks write. */
    Set<String> topics() {
      Set<String> topics = new TreeSet<>();
      for (Node n : nodes()) {
        topics.addAll(sourceTopics(n));
        sinkTopic(n).ifPresent(topics::add);
      }
      return topics;
    }

    List<String> sourceTopics(Node n) {
      if (!(n instanceof Source s)) {
        return List.of();
      }
      if (s.topicSet() != null && !s.topicSet().isEmpty()) {
        return new ArrayList<>(new TreeSet<>(s.topicSet()));
      }
      return List.of(String.valueOf(s.topicPattern()));
    }

    Optional<String> sinkTopic(Node n) {
      if (!(n instanceof Sink s)) {
        return Optional.empty();
      }
      return Optional.of(s.topic() != null ? s.topic() : dynamicSinks.get(s.name()));
    }

    List<String> stores(Node n) {
      return n instanceof Processor p ? new ArrayList<>(new TreeSet<>(p.stores())) : List.of();
    }

    String id(String kind, String name) {
      return ids.computeIfAbsent(
          kind + ":" + name,
          k -> {
            String id = kind + "_" + name.replaceAll("[^A-Za-z0-9]", "_");
            String previous = idOwners.putIfAbsent(id, k);
            if (previous != null) {
              throw new IllegalStateException(
                  "Mermaid id "
                      + id
                      + " would stand for both '"
                      + previous
                      + "' and '"
                      + k
                      + "'; rename one of them");
            }
            return id;
          });
    }
  }

  /** Breadth-first from the sources (by name), successors by name; unreachable nodes last. */
  private static List<Node> flowOrder(Set<? extends Node> nodes) {
    Map<String, Node> byName = new TreeMap<>();
    nodes.forEach(n -> byName.put(n.name(), n));
    Deque<Node> queue = new ArrayDeque<>();
    byName.values().stream().filter(n -> n.predecessors().isEmpty()).forEach(queue::add);
    Set<String> seen = new LinkedHashSet<>();
    List<Node> ordered = new ArrayList<>();
    while (!queue.isEmpty()) {
      Node n = queue.poll();
      if (!seen.add(n.name())) {
        continue;
      }
      ordered.add(n);
      n.successors().stream()
          .map(Node::name)
          .sorted()
          .filter(byName::containsKey)
          .forEach(name -> queue.add(byName.get(name)));
    }
    byName.values().stream().filter(n -> !seen.contains(n.name())).forEach(ordered::add);
    return ordered;
  }

  private static String kind(Node n) {
    if (n instanceof Source) {
      return "source";
    }
    if (n instanceof Sink) {
      return "sink";
    }
    return "processor";
  }

  // ---------------------------------------------------------------- Mermaid

  private static String mermaid(Graph g) {
    StringBuilder out = new StringBuilder();
    out.append("flowchart LR\n");
    out.append(
        "  %% Generated by dev.letmepost.ledger.TopologyDocs from LedgerTopology.describe(); do not edit.\n");
    out.append(
        "  %% Topics are stadiums, processors (sources and sinks too) rectangles, state stores cylinders.\n");
    out.append("  classDef topic fill:#fff4d6,stroke:#b7791f,color:#000\n");
    out.append("  classDef source fill:#e8f0fe,stroke:#3c6fd1,stroke-width:2px,color:#000\n");
    out.append("  classDef processor fill:#e8f0fe,stroke:#3c6fd1,color:#000\n");
    out.append(
        "  classDef sink fill:#e8f0fe,stroke:#3c6fd1,stroke-width:2px,stroke-dasharray:4 2,color:#000\n");
    out.append("  classDef store fill:#e6f4ea,stroke:#2f855a,color:#000\n");
    out.append("\n");
    for (String topic : g.topics()) {
      out.append("  ")
          .append(g.id("t", topic))
          .append("([\"")
          .append(label(topic))
          .append("\"]):::topic\n");
    }
    for (Group group : g.groups) {
      out.append("\n  subgraph ")
          .append(group.id())
          .append("[\"")
          .append(label(group.title()))
          .append("\"]\n");
      out.append("    direction LR\n");
      Set<String> stores = new TreeSet<>();
      for (Node n : group.nodes()) {
        out.append("    ")
            .append(g.id("n", n.name()))
            .append("[\"")
            .append(label(n.name()))
            .append("\"]:::")
            .append(kind(n))
            .append('\n');
        stores.addAll(g.stores(n));
      }
      for (String store : stores) {
        out.append("    ")
            .append(g.id("s", store))
            .append("[(\"")
            .append(label(store))
            .append("\")]:::store\n");
      }
      out.append("  end\n");
    }
    out.append('\n');
    for (Node n : g.nodes()) {
      String id = g.id("n", n.name());
      for (String topic : g.sourceTopics(n)) {
        out.append("  ").append(g.id("t", topic)).append(" --> ").append(id).append('\n');
      }
      n.successors().stream()
          .map(Node::name)
          .sorted()
          .forEach(
              next ->
                  out.append("  ").append(id).append(" --> ").append(g.id("n", next)).append('\n'));
      g.sinkTopic(n)
          .ifPresent(
              topic ->
                  out.append("  ")
                      .append(id)
                      .append(" --> ")
                      .append(g.id("t", topic))
                      .append('\n'));
      for (String store : g.stores(n)) {
        out.append("  ").append(id).append(" -.- ").append(g.id("s", store)).append('\n');
      }
    }
    return out.toString();
  }

  /**
   * A Mermaid label: characters that Mermaid or its HTML rendering would eat become entity codes.
   */
  private static String label(String text) {
    return text.replace("#", "#35;")
        .replace("\"", "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;");
  }

  // ---------------------------------------------------------------- README

  private static String readme(
      Graph g,
      LedgerConfig config,
      Map<String, String> nodeProse,
      Map<String, StoreProse> storeProse,
      String mermaid) {
    StringBuilder out = new StringBuilder();
    out.append("# Ledger topology\n\n");
    out.append(
        "Generated from the code; do not edit by hand. After changing the topology, regenerate from the\n");
    out.append("project root (`TopologyDocsTest` fails until you do):\n\n");
    out.append("```sh\n").append(REGENERATE_COMMAND).append("\n```\n\n");
    out.append(
        "`dev.letmepost.ledger.TopologyDocs` (in the test sources, not the runtime jar) writes, for\n");
    out.append("`LedgerTopology.topology(LedgerConfig.defaults(Topics.defaults()))`:\n\n");
    out.append("- `topology.txt`: `Topology.describe()` as Kafka Streams prints it;\n");
    out.append("- `topology.mmd`: the Mermaid diagram below, walked from the same description;\n");
    out.append("- `README.md`: this page. The prose comes from\n");
    out.append(
        "  [`src/test/resources/topology-docs/prose.md`](../src/test/resources/topology-docs/prose.md)\n");
    out.append("  (config values filled in for `${...}` placeholders);\n");
    out.append(
        "  generation fails when a node or store has no prose or prose names one the topology lost.\n\n");
    out.append("Topic names use the default prefix `")
        .append(config.topics().prefix())
        .append("`; internal topics are named after the application id `")
        .append(applicationId(config))
        .append("`.\n\n");

    out.append("## Nodes: what each decides\n\n");
    out.append(
        "Per sub-topology, in data-flow order. Sources read the topics shown, sinks write them, processors\n");
    out.append("use the stores shown.\n");
    for (Group group : g.groups) {
      out.append("\n### ").append(group.title()).append("\n\n");
      out.append("| Node | Kind | Topics / stores | What it decides |\n");
      out.append("|---|---|---|---|\n");
      for (Node n : group.nodes()) {
        List<String> uses = new ArrayList<>(g.sourceTopics(n));
        g.sinkTopic(n).ifPresent(uses::add);
        uses.addAll(g.stores(n));
        out.append("| ")
            .append(code(n.name()))
            .append(" | ")
            .append(kind(n))
            .append(" | ")
            .append(uses.stream().map(TopologyDocs::code).collect(Collectors.joining(", ")))
            .append(" | ")
            .append(cell(nodeProse.get(n.name())))
            .append(" |\n");
      }
    }

    out.append("\n## State stores\n\n");
    out.append("| Store | Type | Key → value | Retention | Changelog | Used by |\n");
    out.append("|---|---|---|---|---|---|\n");
    Map<String, Set<String>> users = new TreeMap<>();
    for (Node n : g.nodes()) {
      for (String store : g.stores(n)) {
        users.computeIfAbsent(store, k -> new TreeSet<>()).add(n.name());
      }
    }
    for (Map.Entry<String, Set<String>> store : users.entrySet()) {
      StoreProse p = storeProse.get(store.getKey());
      out.append("| ")
          .append(code(store.getKey()))
          .append(" | ")
          .append(cell(p.type()))
          .append(" | ")
          .append(cell(p.contents()))
          .append(" | ")
          .append(cell(p.retention()))
          .append(" | ")
          .append(cell(p.changelog()))
          .append(" | ")
          .append(
              store.getValue().stream().map(TopologyDocs::code).collect(Collectors.joining(", ")))
          .append(" |\n");
    }

    out.append("\n## Diagram\n\n");
    out.append("Also in `topology.mmd`.\n\n");
    out.append("```mermaid\n").append(mermaid).append("```\n");
    return out.toString();
  }

  /** A Markdown table cell: a pipe would end the cell. */
  private static String cell(String text) {
    return text.replace("|", "\\|");
  }

  private static String code(String text) {
    return "`" + text + "`";
  }

  /** A duration as people write it: 25 h, 23 h 55 min, 1 s, 250 ms. */
  static String human(Duration d) {
    if (d.isZero()) {
      return "0 s";
    }
    List<String> parts = new ArrayList<>();
    long ms = d.toMillis();
    long[] sizes = {3_600_000, 60_000, 1_000, 1};
    String[] units = {"h", "min", "s", "ms"};
    for (int i = 0; i < sizes.length; i++) {
      if (ms >= sizes[i]) {
        parts.add(ms / sizes[i] + " " + units[i]);
        ms %= sizes[i];
      }
    }
    return String.join(" ", parts);
  }
}

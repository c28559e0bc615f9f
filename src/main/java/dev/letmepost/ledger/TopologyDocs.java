package dev.letmepost.ledger;

import dev.letmepost.command.Limits;
import dev.letmepost.wire.Topics;
import java.io.IOException;
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
 * <p>Run it with {@link #REGENERATE_COMMAND} from the project root; {@code args[0]} overrides the
 * output directory.
 */
public final class TopologyDocs {
  /*
   * Why prose lives here and is checked both ways: describe() knows names, topics and stores but
   * not what a node decides, so that is written by hand, keyed by node and store name. A node
   * without prose, or prose for a node the topology lost, fails generation (and so the test):
   * the docs cannot silently drift from LedgerTopology. Numbers in the prose (TTL, deadline,
   * waiters, partitions) come from the LedgerConfig, never literals.
   *
   * Determinism: everything is ordered explicitly (sub-topologies by id, nodes in data-flow
   * order with ties by name, topics and stores by name). topology.txt is describe().toString()
   * verbatim; the dynamic sink prints as its PublishTopic extractor's stable toString().
   */

  /**
   * Regenerates topology-docs/ from the project root; works offline once dependencies are cached.
   */
  public static final String REGENERATE_COMMAND =
      "./mvnw -q compile dependency:build-classpath -Dmdep.includeScope=runtime"
          + " -Dmdep.outputFile=target/cp.txt"
          + " && java -cp \"target/classes:$(cat target/cp.txt)\" dev.letmepost.ledger.TopologyDocs";

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

  /** What each node of the ledger topology decides, keyed by node name. */
  static Map<String, String> nodeProse(LedgerConfig c) {
    Topics t = c.topics();
    Map<String, String> p = new HashMap<>();
    // Global store.
    p.put(
        "accounts-source",
        "Reads the compacted "
            + code(t.accounts().name())
            + " topic (key account id, null value deletes) into the global store on every instance, on restore too.");
    p.put(
        "accounts",
        code("IndexAccounts")
            + ": keeps each account under its id and again under the index key "
            + code("\\0principal\\0platform\\0accountId")
            + ", so a principal's default account on a platform is one"
            + " prefix scan away. Ignores records whose key is empty, starts with "
            + code("\\0")
            + " or differs from the value's "
            + code("accountId")
            + "; a null value deletes the account and its index"
            + " entry. "
            + code("decide-request")
            + " resolves targets through this store.");
    // Sub-topology: parse and repartition.
    p.put(
        "post-commands",
        "Reads raw post commands as bytes from "
            + code(t.commands().name())
            + ": key untrusted, value the exact request body, timestamp set by the broker (LogAppendTime).");
    p.put(
        "parse-command",
        code("ParseCommand")
            + ": can the command be addressed at all? A readable one goes on"
            + " keyed by its fingerprint, so every retry meets the same replay record whatever key the producer chose;"
            + " an unreadable one becomes a dead letter with error code, message and source topic/partition/offset"
            + " headers (its value cut to fit the record ceiling, "
            + code("lmp-error-truncated-from")
            + " naming the original length); a readable one whose body is over "
            + Limits.MAX_BODY_BYTES
            + " bytes is answered "
            + code("413 body_too_large")
            + " at once, before it is repartitioned.");
    p.put(
        "parsed-",
        "Splits parse results: dead letters to "
            + code("parsed-dead-letter")
            + ", answers given at once to "
            + code("parsed-reply")
            + ", everything else to "
            + code("parsed-command")
            + ".");
    p.put(
        "parsed-dead-letter",
        "Branch of " + code("parsed-") + ": records " + code("parse-command") + " could not read.");
    p.put("parsed-command", "Default branch of " + code("parsed-") + ": readable commands.");
    p.put(
        "parsed-reply",
        "Branch of "
            + code("parsed-")
            + ": commands answered without a decision (body too large).");
    p.put(
        "unwrap-parse-reply",
        "Takes the response body out of the parse result; key request id, status in headers.");
    p.put(
        "parse-results",
        "Writes the answers given at once to "
            + code(t.results().name())
            + ": nothing is recorded for them.");
    p.put("unwrap-dead-letter", "Restores the unreadable record's original key and value bytes.");
    p.put(
        "dead-letters",
        "Writes unreadable commands to "
            + code(t.deadLetters().name())
            + ": original key and value plus the error headers.");
    p.put(
        "unwrap-command",
        "Takes the "
            + code("Command")
            + " out of the parse result; the key is already"
            + " its fingerprint.");
    p.put(
        "by-fingerprint-repartition-filter",
        "First half of the "
            + code("by-fingerprint")
            + " repartition: drops records with a null key.");
    p.put(
        "by-fingerprint-repartition-sink",
        "Writes commands keyed by fingerprint to the internal topic "
            + code(applicationId(c) + "-by-fingerprint-repartition")
            + " with "
            + c.partitions()
            + " partitions, so every retry of a request and every outcome of its batch meet in one task. "
            + code(t.outcomes().name())
            + " must have as many partitions ("
            + code("LedgerApp.checkCopartitioning")
            + " checks at start-up).");
    // Sub-topology: the ledger task.
    p.put(
        "by-fingerprint-repartition-source",
        "Reads the repartitioned commands back, co-partitioned with "
            + code(t.outcomes().name())
            + ".");
    p.put(
        "target-outcomes",
        "Reads per-target outcomes from the publishers, keyed by request fingerprint, and the"
            + " ledger's own ticks (header "
            + code(Inbound.TICK_HEADER)
            + ").");
    p.put(
        "decide-request",
        code("DecideRequest")
            + ", the dedup decision. A live replay record with another"
            + " body hash: "
            + code("409 idempotency_conflict")
            + ". With the same body: the recorded answer byte for"
            + " byte, or a place among the waiters while the batch runs ("
            + code("409 idempotency_in_progress")
            + " once "
            + c.maxWaiters()
            + " wait). No live record: an invalid idempotency key or unknown route gets"
            + " 400/404, then preflight (400), then a new batch recorded under the command's broker time, its targets"
            + " resolved through the global "
            + code(LedgerTopology.ACCOUNTS_STORE)
            + " store and fanned out as"
            + " publish tasks with a "
            + human(c.targetDeadline())
            + " deadline; a future "
            + code("scheduledAt")
            + " (at most "
            + human(c.replayTtl().minus(c.targetDeadline()))
            + " ahead) is answered 202 and held"
            + " until due. A command read more than "
            + human(c.maxCommandLag())
            + " after its broker time is answered "
            + code("503 ledger_behind")
            + "; an exception while deciding is answered "
            + code("500 internal_error")
            + "; neither is recorded. Every request's fate is indexed by request id in "
            + code(LedgerTopology.REQUEST_INDEX)
            + ", every new batch by batch id in "
            + code(LedgerTopology.BATCH_INDEX)
            + ", for the gateway's reads.");
    p.put(
        "fold-outcome",
        code("FoldOutcome")
            + ": folds a target's outcome into its batch's replay record. The"
            + " first outcome of a target wins; late, duplicate or foreign outcomes change nothing; the one that"
            + " closes the last open target completes the batch and answers the request and every waiter. Its"
            + " wall-clock punctuator "
            + code("ExpireOverdue")
            + " (every "
            + human(c.timerInterval())
            + ") scans "
            + code(LedgerTopology.TIMER_STORE)
            + " up to now: a scheduled batch whose time has come is released to the"
            + " publishers; when a running batch is past its deadline plus the "
            + human(c.outcomeGrace())
            + " outcome grace it writes a tick to this task's "
            + code(t.outcomes().name())
            + " partition. The tick read back (every outcome appended before it has been read)"
            + " closes the open targets of every batch due by then "
            + code("unknown / outcome_unknown")
            + " and completes it.");
    p.put(
        "emissions",
        "Merges what " + code("decide-request") + " and " + code("fold-outcome") + " emit.");
    p.put(
        "emit-",
        "Splits emissions: publish tasks to "
            + code("emit-task")
            + ", ticks to "
            + code("emit-tick")
            + ", replies to "
            + code("emit-reply")
            + ".");
    p.put("emit-task", "Branch of " + code("emit-") + ": publish tasks.");
    p.put("emit-reply", "Default branch of " + code("emit-") + ": replies.");
    p.put("emit-tick", "Branch of " + code("emit-") + ": the ledger's ticks.");
    p.put("unwrap-tick", "Takes the tick's bytes out of the emission.");
    p.put(
        "outcome-ticks",
        "Writes each tick to "
            + code(t.outcomes().name())
            + ", to the partition of the task that wrote it (named in its key).");
    p.put(
        "unwrap-task",
        "Takes the " + code("PublishTask") + " out of the emission; key account id.");
    p.put(
        "unwrap-reply",
        "Takes the response body out of the emission; key request id, status and replay"
            + " flags ride in headers.");
    p.put(
        "publish-tasks",
        "Writes each task to its platform's producer topic "
            + code(t.publishTopicName("<platform>"))
            + ", chosen per record from the task's platform.");
    p.put(
        "post-results",
        "Writes every answer to "
            + code(t.results().name())
            + ": key request id, value the exact response body bytes.");
    return p;
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

  /** What each store of the ledger topology holds, keyed by store name. */
  static Map<String, StoreProse> storeProse(LedgerConfig c) {
    Map<String, StoreProse> s = new HashMap<>();
    s.put(
        LedgerTopology.REPLAY_STORE,
        new StoreProse(
            "persistent window store, cached",
            "request fingerprint, windowed by the time the first request was filed (the later of"
                + " its broker time and the ledger's wall clock) → "
                + code("LedgerRecord")
                + " (first-request broker time, body hash, recorded answer, per-target progress,"
                + " waiters; a scheduled batch's content, once)",
            human(c.retention())
                + " (replay TTL "
                + human(c.replayTtl())
                + " + 2 × skew allowance "
                + human(c.skewAllowance())
                + " + max command lag "
                + human(c.maxCommandLag())
                + "); a record answers retries whose broker time is within "
                + human(c.replayTtl())
                + " of its first request's",
            code(changelog(c, LedgerTopology.REPLAY_STORE))));
    s.put(
        LedgerTopology.TIMER_STORE,
        new StoreProse(
            "persistent key-value store",
            code("<kind>|<due time>|<window time>|<fingerprint>")
                + " (kind r: release of a scheduled batch, d: deadline of a running one; times as 16"
                + " hex digits) → the replay record's window time (epoch ms); sorted by kind and due"
                + " time",
            "until the batch is released or completed (entries are deleted)",
            code(changelog(c, LedgerTopology.TIMER_STORE))));
    String retention = human(c.retention()) + ", as " + code(LedgerTopology.REPLAY_STORE);
    s.put(
        LedgerTopology.REQUEST_INDEX,
        new StoreProse(
            "persistent window store",
            "request id, windowed by the time the request was filed → "
                + code("RequestEntry")
                + ": a pointer (fingerprint, window time) at the replay record that answers it,"
                + " or the error it was answered with; read by the gateway's "
                + code("GET /v1/requests/{id}"),
            retention,
            code(changelog(c, LedgerTopology.REQUEST_INDEX))));
    s.put(
        LedgerTopology.BATCH_INDEX,
        new StoreProse(
            "persistent window store",
            "batch id, windowed by its replay record's window time → request fingerprint; read by the"
                + " gateway's "
                + code("GET /v1/batches/{id}"),
            retention,
            code(changelog(c, LedgerTopology.BATCH_INDEX))));
    s.put(
        LedgerTopology.ACCOUNTS_STORE,
        new StoreProse(
            "global persistent key-value store",
            "account id → "
                + code("Account")
                + ", and "
                + code("\\0principal\\0platform\\0accountId")
                + " → "
                + code("Account")
                + " (index)",
            "as long as the account is on the compacted topic",
            "none: restored from " + code(c.topics().accounts().name())));
    return s;
  }

  /** Sinks whose topic is chosen per record, with the topic pattern the docs show for them. */
  static Map<String, String> dynamicSinkTopics(LedgerConfig c) {
    return Map.of("publish-tasks", c.topics().publishTopicName("<platform>"));
  }

  private static String applicationId(LedgerConfig c) {
    return LedgerApp.streamsProperties(c, "localhost:9092", Path.of("."), Map.of())
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
    out.append("`dev.letmepost.ledger.TopologyDocs` writes, for\n");
    out.append("`LedgerTopology.topology(LedgerConfig.defaults(Topics.defaults()))`:\n\n");
    out.append("- `topology.txt`: `Topology.describe()` as Kafka Streams prints it;\n");
    out.append("- `topology.mmd`: the Mermaid diagram below, walked from the same description;\n");
    out.append(
        "- `README.md`: this page. The prose comes from `TopologyDocs.nodeProse` and `storeProse`;\n");
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

package dev.letmepost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;

/**
 * A real multi-broker Kafka cluster for tests, without Docker: {@code n} Kafka nodes, each a child
 * JVM in the combined broker + controller roles with a static quorum ({@code
 * controller.quorum.voters}), on free ports of 127.0.0.1, with production-like replication:
 * replication factor 3 (or {@code n}), {@code min.insync.replicas=2}, transaction state log
 * replication 3 / min ISR 2.
 *
 * <p>Each node's storage is formatted with {@code kafka.tools.StorageTool format} and the node
 * started with {@code kafka.Kafka server.properties}, both on this JVM's classpath. The children
 * log at WARN ({@code logback-child.xml}) into {@code <dir>/node-<id>.log}.
 *
 * <pre>{@code
 * try (ChildCluster cluster = ChildCluster.start(dir, 3)) {
 *   String bootstrap = cluster.bootstrapServers();
 *   cluster.kill(2);      // SIGKILL
 *   cluster.restart(2);   // same ports, same data; returns once the node is back in the cluster
 *   cluster.awaitFullyReplicated(Duration.ofSeconds(60));
 * }
 * }</pre>
 *
 * <p>Closing kills every node and deletes the data directory.
 */
public final class ChildCluster implements AutoCloseable {
  private static final String HOST = "127.0.0.1";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final int START_ATTEMPTS = 3;

  /*
   * Ports are picked below Linux's ephemeral range (32768-60999), where the kernel never hands
   * out ports for outgoing connections or port-0 binds of other processes: a node restarted on
   * its old ports after a SIGKILL finds them free. A port taken anyway between picking and
   * binding makes the start retry with fresh ports.
   */
  private static final int PORT_MIN = 20_000;
  private static final int PORT_MAX = 32_000;

  /** A node failed to bind a port this fixture picked. */
  private static final class PortTakenException extends IllegalStateException {
    PortTakenException(String message) {
      super(message);
    }
  }

  /** One node: its ports, files and, while it runs, its process. */
  private static final class NodeProcess {
    final int id;
    final int port;
    final int controllerPort;
    final Path config;
    final Path log;
    Process process;

    NodeProcess(int id, int port, int controllerPort, Path config, Path log) {
      this.id = id;
      this.port = port;
      this.controllerPort = controllerPort;
      this.config = config;
      this.log = log;
    }
  }

  private final Path dir;
  private final Map<Integer, NodeProcess> nodes = new TreeMap<>();
  private final String bootstrapServers;

  private ChildCluster(Path dir, List<NodeProcess> nodes) {
    this.dir = dir;
    nodes.forEach(n -> this.nodes.put(n.id, n));
    this.bootstrapServers =
        nodes.stream().map(n -> HOST + ":" + n.port).collect(Collectors.joining(","));
  }

  /**
   * Formats and starts {@code size} nodes (ids 1..size) under {@code dir} and returns once every
   * one is registered as a broker.
   */
  public static ChildCluster start(Path dir, int size) {
    return start(dir, size, Map.of());
  }

  /**
   * Like {@link #start(Path, int)}, with {@code brokerConfig} added to (or replacing entries of)
   * every node's server.properties, e.g. to measure a broker setting.
   */
  public static ChildCluster start(Path dir, int size, Map<String, String> brokerConfig) {
    if (size < 1) {
      throw new IllegalArgumentException("a cluster needs at least one node, got " + size);
    }
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(dir, size, brokerConfig);
      } catch (PortTakenException e) {
        // Another process took a picked port before the node bound it: fresh ports, fresh data.
        if (attempt == START_ATTEMPTS) {
          throw new IllegalStateException(
              "nodes could not bind their ports in " + attempt + " attempts", e);
        }
      }
    }
  }

  private static ChildCluster startOnce(Path dir, int size, Map<String, String> brokerConfig) {
    try {
      Files.createDirectories(dir);
      List<Integer> ports = freePorts(2 * size);
      List<NodeProcess> list = new ArrayList<>();
      for (int id = 1; id <= size; id++) {
        list.add(
            new NodeProcess(
                id,
                ports.get(2 * (id - 1)),
                ports.get(2 * (id - 1) + 1),
                dir.resolve("node-" + id + ".properties"),
                dir.resolve("node-" + id + ".log")));
      }
      String voters =
          list.stream()
              .map(n -> n.id + "@" + HOST + ":" + n.controllerPort)
              .collect(Collectors.joining(","));
      int replication = Math.min(3, size);
      int minIsr = Math.min(2, replication);
      for (NodeProcess n : list) {
        writeConfig(n, dir.resolve("node-" + n.id), voters, replication, minIsr, brokerConfig);
      }
      ChildCluster cluster = new ChildCluster(dir, list);
      try {
        cluster.format();
        for (NodeProcess n : list) {
          cluster.launch(n);
        }
        cluster.awaitBrokers(cluster.nodes.keySet().stream().toList(), READY_TIMEOUT);
        return cluster;
      } catch (RuntimeException | Error e) {
        cluster.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot set up a cluster in " + dir, e);
    }
  }

  /** {@code bootstrap.servers} naming every node. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** The node ids, 1..size. */
  public List<Integer> nodeIds() {
    return List.copyOf(nodes.keySet());
  }

  /** Whether node {@code id}'s process is alive. */
  public boolean isRunning(int id) {
    Process p = node(id).process;
    return p != null && p.isAlive();
  }

  /** SIGKILL node {@code id} (no controlled shutdown, no flush) and wait for the process to end. */
  public void kill(int id) {
    NodeProcess n = node(id);
    if (n.process == null) {
      return;
    }
    n.process.destroyForcibly();
    try {
      if (!n.process.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("node " + id + " did not die within 30 s of SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while killing node " + id, e);
    }
    n.process = null;
  }

  /**
   * Starts node {@code id} again, on its ports and data directory, and returns once the cluster
   * lists it as a broker again.
   */
  public void restart(int id) {
    NodeProcess n = node(id);
    if (n.process != null && n.process.isAlive()) {
      throw new IllegalStateException("node " + id + " is running");
    }
    launch(n);
    awaitBrokers(List.of(id), READY_TIMEOUT);
  }

  /**
   * Waits until every partition of every topic has all its replicas in sync (after a restart, the
   * node has caught up), so that killing another node cannot take a partition below min ISR.
   */
  public void awaitFullyReplicated(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lagging = "";
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          var names = admin.listTopics().names().get(10, TimeUnit.SECONDS);
          Map<String, TopicDescription> described =
              admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS);
          lagging =
              described.values().stream()
                  .flatMap(
                      d ->
                          d.partitions().stream()
                              .filter(p -> p.isr().size() < p.replicas().size())
                              .map(p -> d.name() + "-" + p.partition() + " isr " + p.isr()))
                  .limit(5)
                  .collect(Collectors.joining(", "));
          if (lagging.isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          lagging = e.toString();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
        sleepBriefly();
      }
    }
    throw new IllegalStateException(
        "partitions not fully replicated within " + timeout + ": " + lagging);
  }

  /** The last {@code lines} lines node {@code id} logged (WARN and above), for failure messages. */
  public String logTail(int id, int lines) {
    try {
      List<String> all = Files.readAllLines(node(id).log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Kills every node and deletes the cluster's directory. */
  @Override
  public void close() {
    for (NodeProcess n : nodes.values()) {
      if (n.process != null) {
        n.process.destroyForcibly();
      }
    }
    for (NodeProcess n : nodes.values()) {
      if (n.process != null) {
        try {
          n.process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        n.process = null;
      }
    }
    deleteRecursively(dir);
  }

  // ---- internals ----

  private NodeProcess node(int id) {
    NodeProcess n = nodes.get(id);
    if (n == null) {
      throw new IllegalArgumentException("no node " + id + " (nodes " + nodes.keySet() + ")");
    }
    return n;
  }

  private static void writeConfig(
      NodeProcess n,
      Path logDir,
      String voters,
      int replication,
      int minIsr,
      Map<String, String> extra)
      throws IOException {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", Integer.toString(n.id));
    p.put("controller.quorum.voters", voters);
    p.put(
        "listeners",
        "PLAINTEXT://" + HOST + ":" + n.port + ",CONTROLLER://" + HOST + ":" + n.controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + n.port);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("default.replication.factor", Integer.toString(replication));
    p.put("min.insync.replicas", Integer.toString(minIsr));
    p.put("offsets.topic.replication.factor", Integer.toString(replication));
    // Fewer internal partitions than the 50 default: faster first group and transaction.
    p.put("offsets.topic.num.partitions", "3");
    p.put("transaction.state.log.replication.factor", Integer.toString(replication));
    p.put("transaction.state.log.min.isr", Integer.toString(minIsr));
    p.put("transaction.state.log.num.partitions", "3");
    p.put("share.coordinator.state.topic.replication.factor", Integer.toString(replication));
    p.put("share.coordinator.state.topic.min.isr", Integer.toString(minIsr));
    p.put("share.coordinator.state.topic.num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // Small footprints for a machine running several brokers; nothing here changes failover
    // timing, which stays at Kafka's defaults (broker session 9 s, transaction abort check 10 s).
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 * 1024 * 1024));
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("num.replica.fetchers", "1");
    p.put("background.threads", "2");
    p.put("log.segment.bytes", Integer.toString(16 * 1024 * 1024));
    p.putAll(extra);
    try (var out = Files.newBufferedWriter(n.config, StandardCharsets.UTF_8)) {
      p.store(out, "ChildCluster node " + n.id);
    }
  }

  /** Formats every node's storage with one cluster id, in parallel child JVMs. */
  private void format() {
    String clusterId = Uuid.randomUuid().toString();
    List<Process> running = new ArrayList<>();
    List<Path> outputs = new ArrayList<>();
    try {
      for (NodeProcess n : nodes.values()) {
        Path out = dir.resolve("format-" + n.id + ".log");
        outputs.add(out);
        running.add(
            new ProcessBuilder(
                    javaCommand(
                        "kafka.tools.StorageTool",
                        "format",
                        "-t",
                        clusterId,
                        "-c",
                        n.config.toString()))
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start());
      }
      for (int i = 0; i < running.size(); i++) {
        Process p = running.get(i);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          throw new IllegalStateException(
              "kafka.tools.StorageTool format failed: " + Files.readString(outputs.get(i)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kafka.tools.StorageTool", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while formatting", e);
    } finally {
      running.forEach(Process::destroyForcibly);
    }
  }

  private void launch(NodeProcess n) {
    try {
      n.process =
          new ProcessBuilder(javaCommand("kafka.Kafka", n.config.toString()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(n.log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + n.id, e);
    }
  }

  private static List<String> javaCommand(String mainClass, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m",
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                "-Dlogback.configurationFile=" + childLogbackConfig(),
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** The path of {@code logback-child.xml} on the test classpath. */
  static String childLogbackConfig() {
    URL url = ChildCluster.class.getResource("/logback-child.xml");
    if (url == null) {
      throw new IllegalStateException("logback-child.xml is not on the test classpath");
    }
    try {
      return Path.of(url.toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000));
  }

  private void awaitBrokers(List<Integer> ids, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        for (int id : ids) {
          NodeProcess n = node(id);
          if (n.process == null || !n.process.isAlive()) {
            String tail = logTail(id, 40);
            String message = "node " + id + " exited while starting:\n" + tail;
            throw tail.contains("Address already in use")
                ? new PortTakenException(message)
                : new IllegalStateException(message);
          }
        }
        try {
          List<Integer> seen =
              admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream()
                  .map(Node::id)
                  .toList();
          if (seen.containsAll(ids)) {
            return;
          }
          last = "brokers registered: " + seen;
        } catch (ExecutionException | TimeoutException e) {
          last = e.toString();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
        sleepBriefly();
      }
    }
    throw new IllegalStateException(
        "nodes " + ids + " not registered within " + timeout + " (" + last + ")");
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static List<Integer> freePorts(int count) throws IOException {
    List<Integer> ports = new ArrayList<>();
    java.util.Random random = new java.util.Random();
    while (ports.size() < count) {
      int candidate = PORT_MIN + random.nextInt(PORT_MAX - PORT_MIN);
      if (ports.contains(candidate)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket(candidate, 1, InetAddress.getByName(HOST))) {
        s.setReuseAddress(true);
        ports.add(candidate);
      } catch (IOException taken) {
        // in use: try another
      }
    }
    return ports;
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // best effort: a temporary directory
    }
  }
}

package dev.letmepost.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker running in this JVM: one KRaft node in the combined broker
 * and controller roles, listening for clients on {@code PLAINTEXT://127.0.0.1:<port>}, keeping its
 * data under a directory that survives restarts.
 */
public final class EmbeddedBroker implements AutoCloseable {
  /*
   * Design.
   *
   * Layout: the single Kafka log directory (which is also the metadata log directory) is
   * <dataDir>/kraft-combined-logs, never dataDir itself: Kafka takes every sub-directory of a log
   * directory for a partition and would mark the whole directory offline on a stray folder.
   *
   * Formatting: the storage is formatted exactly once, when the log directory has no
   * meta.properties yet, with the same Formatter that kafka-storage.sh uses (production features,
   * the release version of the Kafka jars, a fresh random cluster id). A later start finds
   * meta.properties and KafkaRaftServer reuses the cluster id and every topic and record.
   *
   * Quorum: static voters (controller.quorum.voters = 1@127.0.0.1:<controller port>), so
   * kraft.version stays 0 and no voter endpoint is written to the metadata log. The controller
   * port is therefore free to change between starts; a fresh free port is picked every time.
   *
   * Ports: Kafka can bind a client listener to port 0, but KafkaRaftServer does not expose the
   * port it bound. Free ports are therefore picked here (bind to port 0, read, release) and handed
   * to Kafka. Another process may grab a port in between; when Kafka then fails to bind a port
   * picked here, the start is retried with fresh ports. A caller's fixed port is never retried.
   *
   * Readiness: KafkaRaftServer.startup() returns once the broker is unfenced; start() then waits
   * until an Admin client sees the broker in describeCluster, so callers can connect at once.
   *
   * Single-node settings: every internal topic (consumer offsets, transaction state, share-group
   * state) has replication factor 1 and min ISR 1, which is what lets the transaction
   * coordinator, and so Kafka Streams exactly_once_v2, work on one node; internal topics have one
   * partition each so the first group or transaction does not wait for 50 partitions to be
   * created; the log cleaner gets a small dedupe buffer instead of 128 MiB of heap.
   */

  private static final Logger log = LoggerFactory.getLogger(EmbeddedBroker.class);

  /** The id of the only node, in both roles. */
  static final int NODE_ID = 1;

  /** The log directory, relative to the data directory. */
  static final String LOG_DIR_NAME = "kraft-combined-logs";

  private static final String CLIENT_LISTENER = "PLAINTEXT";
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final String HOST = "127.0.0.1";
  private static final int BIND_ATTEMPTS = 3;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaRaftServer server;
  private final int port;
  private final int controllerPort;
  private boolean closed;

  private EmbeddedBroker(KafkaRaftServer server, int port, int controllerPort) {
    this.server = server;
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /**
   * Starts a broker keeping its data under {@code dataDir} and accepting clients on {@code
   * 127.0.0.1:port}, formatting the storage first if it was never formatted, and returns once the
   * broker accepts client connections.
   *
   * @param dataDir the data directory; created if missing, reused if it holds a broker's data
   * @param port the client port, or 0 for a free port
   * @throws KafkaException if the broker cannot start, for example because the port is taken or
   *     another broker holds the data directory
   */
  public static EmbeddedBroker start(Path dataDir, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    Path logDir = dataDir.toAbsolutePath().resolve(LOG_DIR_NAME);
    long startNanos = System.nanoTime();
    formatIfNeeded(logDir);
    for (int attempt = 1; ; attempt++) {
      int clientPort = port == 0 ? freePort() : port;
      int controllerPort = freePort();
      KafkaRaftServer server = null;
      try {
        server =
            new KafkaRaftServer(
                KafkaConfig.fromProps(brokerProperties(logDir, clientPort, controllerPort)),
                Time.SYSTEM);
        server.startup();
      } catch (RuntimeException e) {
        if (server != null) {
          stopQuietly(server);
        }
        if (attempt < BIND_ATTEMPTS && isBindFailureOnPickedPort(e, port)) {
          log.info("Embedded broker could not bind its picked ports, retrying: {}", e.toString());
          continue;
        }
        throw new KafkaException(
            "embedded broker failed to start on "
                + HOST
                + ":"
                + clientPort
                + " (controller port "
                + controllerPort
                + ") with data directory "
                + logDir
                + ": "
                + e.getMessage(),
            e);
      }
      EmbeddedBroker broker = new EmbeddedBroker(server, clientPort, controllerPort);
      try {
        broker.awaitClientConnections();
      } catch (RuntimeException e) {
        broker.close();
        throw e;
      }
      log.info(
          "Embedded Kafka broker ready on {} (data {}) in {} ms",
          broker.bootstrapServers(),
          logDir,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
      return broker;
    }
  }

  /** The {@code bootstrap.servers} value for clients: {@code 127.0.0.1:<port>}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The client port the broker listens on; never 0. */
  public int port() {
    return port;
  }

  /** Shuts the broker down cleanly and waits until it has stopped; later calls do nothing. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    server.awaitShutdown();
    log.info("Embedded Kafka broker on {} stopped", bootstrapServers());
  }

  @Override
  public String toString() {
    return "EmbeddedBroker[" + bootstrapServers() + ", controller port " + controllerPort + "]";
  }

  private static void formatIfNeeded(Path logDir) {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    String clusterId = Uuid.randomUuid().toString();
    try {
      Files.createDirectories(logDir);
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setReleaseVersion(MetadataVersion.latestProduction())
          .setNodeId(NODE_ID)
          .setClusterId(clusterId)
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setControllerListenerName(CONTROLLER_LISTENER)
          .run();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create broker log directory " + logDir, e);
    } catch (Exception e) {
      throw new KafkaException("cannot format broker storage in " + logDir, e);
    }
    log.info(
        "Formatted Kafka storage in {} (cluster id {}, metadata version {})",
        logDir,
        clusterId,
        MetadataVersion.latestProduction());
  }

  private static Properties brokerProperties(Path logDir, int clientPort, int controllerPort) {
    Properties props = new Properties();
    props.putAll(
        Map.ofEntries(
            Map.entry("process.roles", "broker,controller"),
            Map.entry("node.id", Integer.toString(NODE_ID)),
            Map.entry("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort),
            Map.entry(
                "listeners",
                CLIENT_LISTENER
                    + "://"
                    + HOST
                    + ":"
                    + clientPort
                    + ","
                    + CONTROLLER_LISTENER
                    + "://"
                    + HOST
                    + ":"
                    + controllerPort),
            Map.entry("advertised.listeners", CLIENT_LISTENER + "://" + HOST + ":" + clientPort),
            Map.entry(
                "listener.security.protocol.map",
                CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT"),
            Map.entry("controller.listener.names", CONTROLLER_LISTENER),
            Map.entry("inter.broker.listener.name", CLIENT_LISTENER),
            Map.entry("log.dirs", logDir.toString()),
            Map.entry("metadata.log.dir", logDir.toString()),
            Map.entry("auto.create.topics.enable", "false"),
            Map.entry("num.partitions", "1"),
            Map.entry("default.replication.factor", "1"),
            Map.entry("min.insync.replicas", "1"),
            Map.entry("offsets.topic.replication.factor", "1"),
            Map.entry("offsets.topic.num.partitions", "1"),
            Map.entry("transaction.state.log.replication.factor", "1"),
            Map.entry("transaction.state.log.min.isr", "1"),
            Map.entry("transaction.state.log.num.partitions", "1"),
            Map.entry("share.coordinator.state.topic.replication.factor", "1"),
            Map.entry("share.coordinator.state.topic.min.isr", "1"),
            Map.entry("share.coordinator.state.topic.num.partitions", "1"),
            Map.entry("group.initial.rebalance.delay.ms", "0"),
            Map.entry("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024))));
    return props;
  }

  private void awaitClientConnections() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    Map<String, Object> config =
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
    try (Admin admin = Admin.create(config)) {
      while (true) {
        try {
          var nodes = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
          if (nodes.stream().map(Node::id).anyMatch(id -> id == NODE_ID)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new KafkaException(
                "embedded broker on " + bootstrapServers() + " accepted no client connection", e);
          }
        }
        if (System.nanoTime() > deadline) {
          throw new KafkaException(
              "embedded broker on "
                  + bootstrapServers()
                  + " did not register within "
                  + READY_TIMEOUT);
        }
        Thread.sleep(50);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + HOST, e);
    }
  }

  /**
   * Whether Kafka failed to bind a port that was picked here (the controller port, or the client
   * port when the caller asked for port 0), which a retry with fresh ports can cure.
   */
  private static boolean isBindFailureOnPickedPort(Throwable e, int requestedPort) {
    boolean bindFailure = false;
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = t.getMessage() == null ? "" : t.getMessage();
      if (requestedPort != 0 && message.contains(HOST + ":" + requestedPort)) {
        return false;
      }
      bindFailure |= t instanceof BindException || message.contains("failed to bind");
    }
    return bindFailure;
  }

  private static void stopQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException e) {
      log.debug("Ignoring failure while stopping a broker that failed to start", e);
    }
  }
}

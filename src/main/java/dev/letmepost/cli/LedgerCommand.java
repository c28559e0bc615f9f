package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lmp ledger}: a ledger instance alone (no HTTP API, no publishers, no broker) against a
 * cluster, with {@code /healthz}, {@code /readyz} and {@code /metrics} on {@code --health-port}.
 */
@Command(
    name = "ledger",
    mixinStandardHelpOptions = true,
    description =
        "Run a ledger instance alone (no HTTP API, no publishers) against a Kafka cluster, with"
            + " /healthz, /readyz and /metrics on --health-port. Do not mix with lmp gateway"
            + " instances of the same --topic-prefix: their reads would be routed to this instance,"
            + " which serves none.")
final class LedgerCommand implements Callable<Integer> {
  /*
   * Why a ledger-only instance cannot join gateways: every instance of the application owns some
   * tasks, and the gateways find a key's replay record by asking Kafka Streams which instance
   * hosts its task and forwarding the read to that instance's application.server. This instance
   * has no application.server and no read routes, so the reads of every key it hosts would fail.
   * It is the ledger for deployments that talk Kafka only (clients that produce commands and
   * read lmp.post-results themselves, like `lmp post`), and scales like any Streams app.
   */

  @Option(
      names = "--bootstrap-servers",
      required = true,
      defaultValue = "${env:LMP_BOOTSTRAP_SERVERS}",
      description = "the Kafka cluster (env LMP_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Option(
      names = "--data-dir",
      defaultValue = "${env:LMP_DATA_DIR:-./data}",
      description =
          "the ledger's local state (a cache of its changelogs) (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--replication-factor",
      defaultValue = "3",
      description = "replicas of topics created if missing (default: ${DEFAULT-VALUE})")
  short replicationFactor;

  @Mixin LedgerOptions ledgerOptions;

  @Mixin KafkaClientOptions kafkaClient;

  @Option(
      names = "--health-host",
      defaultValue = "127.0.0.1",
      description = "address /healthz, /readyz and /metrics listen on (default: ${DEFAULT-VALUE})")
  String healthHost;

  @Option(
      names = "--health-port",
      defaultValue = "8081",
      description =
          "port of /healthz, /readyz and /metrics, 0 for a free one (default: ${DEFAULT-VALUE})")
  int healthPort;

  @Override
  public Integer call() throws Exception {
    LedgerConfig ledger = ledgerOptions.config();
    HealthServer health = HealthServer.start("ledger", healthHost, healthPort);
    Services services;
    KafkaStreamsMetrics streamsMetrics;
    try {
      services =
          Services.start(
              new Services.Options(
                  bootstrapServers,
                  0,
                  dataDir,
                  replicationFactor,
                  false,
                  ledger,
                  Map.copyOf(ledgerOptions.streamsConfig),
                  false,
                  0,
                  null,
                  PublisherCommand.defaultInstanceId(),
                  kafkaClient.properties(),
                  Duration.ZERO));
      KafkaStreams streams = services.ledger();
      streamsMetrics = bindMetrics(health.registry(), streams);
      health.readiness(() -> notReady(streams.state()));
    } catch (RuntimeException e) {
      health.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  services.close();
                  streamsMetrics.close();
                  health.close();
                  stopped.countDown();
                },
                "lmp-ledger-shutdown"));
    System.out.println(
        "ledger instance running against "
            + services.bootstrapServers()
            + " (topic prefix "
            + ledger.topics().prefix()
            + "); /healthz, /readyz and /metrics on http://"
            + healthHost
            + ":"
            + health.port());
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** The ledger role's meters: its Kafka Streams metrics and whether it is RUNNING. */
  static KafkaStreamsMetrics bindMetrics(MeterRegistry registry, KafkaStreams streams) {
    KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
    streamsMetrics.bindTo(registry);
    Gauge.builder(
            "lmp.ledger.running", streams, s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
        .description("1 while the ledger instance is RUNNING, else 0 (rebalancing, stopped)")
        .register(registry);
    return streamsMetrics;
  }

  /** Why a ledger in {@code state} is not ready, or empty when it is ({@code RUNNING}). */
  static Optional<String> notReady(KafkaStreams.State state) {
    return state == KafkaStreams.State.RUNNING
        ? Optional.empty()
        : Optional.of("the ledger instance is " + state + ", not RUNNING");
  }
}

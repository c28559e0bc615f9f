package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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

  @Mixin ClusterOptions cluster;

  @Mixin LedgerOptions ledgerOptions;

  @Mixin HealthOptions health = new HealthOptions("ledger", 8081);

  @Override
  public Integer call() throws Exception {
    LedgerConfig ledger = ledgerOptions.config();
    return health.run(
        (role, healthServer) -> {
          Services services =
              role.add(
                  Services.start(
                      cluster.ledgerOnly(ledger, ledgerOptions.streamsOverrides(Map.of()))));
          role.stopWhen(services::ledgerFailure);
          KafkaStreams streams = services.ledger();
          role.add(bindMetrics(healthServer.registry(), streams));
          healthServer.readiness(() -> notReady(streams.state()));
          System.out.println(
              "ledger instance running against "
                  + services.bootstrapServers()
                  + " (topic prefix "
                  + ledger.topics().prefix()
                  + "); /healthz, /readyz and /metrics on "
                  + health.url(healthServer));
          System.out.flush();
        });
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

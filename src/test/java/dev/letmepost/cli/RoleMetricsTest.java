package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/** The meters the publisher and ledger roles add to their {@code /metrics}. */
class RoleMetricsTest {
  /**
   * Regression: the publisher's outcome counter was bound to a method reference ({@code
   * publishers::outcomesWritten}), a fresh object that only Micrometer held, and weakly: after a
   * garbage collection {@code lmp_publisher_outcomes_written_total} read 0 forever while the
   * workers wrote outcomes (found by {@code RolesIT}). It is now bound to the workers object the
   * command keeps.
   */
  @Test
  void publisherOutcomeCounterStillReadsTheWorkersAfterAGarbageCollection() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AtomicInteger workers = new AtomicInteger();
    PublisherCommand.bindMetrics(registry, workers, AtomicInteger::get);

    workers.set(3);
    for (int i = 0; i < 3; i++) {
      System.gc();
    }

    assertThat(registry.scrape()).contains("lmp_publisher_outcomes_written_total 3.0");
    workers.set(5);
    assertThat(registry.scrape()).contains("lmp_publisher_outcomes_written_total 5.0");
    registry.close();
  }

  @Test
  void ledgerNotReadyNamesItsStateAndIsReadyOnlyWhenRunning() {
    assertThat(LedgerCommand.notReady(KafkaStreams.State.RUNNING)).isEmpty();
    assertThat(LedgerCommand.notReady(KafkaStreams.State.REBALANCING))
        .hasValue("the ledger instance is REBALANCING, not RUNNING");
    assertThat(LedgerCommand.notReady(KafkaStreams.State.ERROR))
        .hasValue("the ledger instance is ERROR, not RUNNING");
  }

  @Test
  void theRolesDefaultToDistinctHealthPortsThatDoNotClashWithTheApiOrTheSandbox() {
    LedgerCommand ledger = new LedgerCommand();
    new picocli.CommandLine(ledger).parseArgs("--bootstrap-servers", "b:9092");
    PublisherCommand publisher = new PublisherCommand();
    new picocli.CommandLine(publisher).parseArgs("--platform", "all");
    SandboxCommand sandbox = new SandboxCommand();
    new picocli.CommandLine(sandbox).parseArgs();

    assertThat(java.util.List.of(ledger.health.port, publisher.health.port, sandbox.health.port))
        .containsExactly(8081, 8082, 8091)
        .doesNotContain(8080, sandbox.port);
    assertThat(ledger.health.host).isEqualTo("127.0.0.1");
    assertThat(
            ledger
                .cluster
                .ledgerOnly(ledger.ledgerOptions.config(), java.util.Map.of())
                .replicationFactor())
        .isEqualTo((short) 3);
  }
}

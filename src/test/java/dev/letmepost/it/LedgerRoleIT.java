package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.client.Answer;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmp ledger}, the ledger role without HTTP API, as its own process on the embedded broker:
 * it creates the topics, decides a command that a Kafka client ({@link PostClient}, what {@code lmp
 * post} uses) produced, with publishers and the sandbox platform in this JVM, and answers {@code
 * /readyz} and {@code /metrics} on its {@code --health-port}.
 */
class LedgerRoleIT {
  private static final Duration START = Duration.ofMinutes(2);

  @Test
  @Timeout(240)
  void theLedgerRoleAloneDecidesACommandFromKafkaAndReportsItsHealth(@TempDir Path dir)
      throws Exception {
    String prefix = TestBroker.uniquePrefix();
    Topics topics = new Topics(prefix);
    String bootstrap = TestBroker.bootstrapServers();
    try (ChildLmp ledger =
        ChildLmp.command(
            "ledger instance running",
            List.of(
                "ledger",
                "--bootstrap-servers",
                bootstrap,
                "--topic-prefix",
                prefix,
                "--partitions",
                "2",
                "--replication-factor",
                "1",
                "--data-dir",
                dir.resolve("ledger").toString(),
                "--health-port",
                "0"),
            Map.of())) {
      ledger.awaitRunning(START);
      URI health =
          URI.create(
              "http://127.0.0.1:"
                  + ledger.awaitOutput(
                      Pattern.compile("/healthz, /readyz and /metrics on http://[^:]+:(\\d+)"),
                      START));
      await()
          .atMost(START)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> SeedFlow.get(health.resolve("/readyz")).statusCode() == 200);
      assertThat(SeedFlow.get(health.resolve("/healthz")).statusCode()).isEqualTo(200);

      Services.registerDemoAccounts(ClientSettings.of(bootstrap), topics);
      try (Services.SandboxPublishing publishing =
              Services.startSandboxPublishing(
                  ClientSettings.of(bootstrap),
                  topics,
                  dir.resolve("sandbox"),
                  0,
                  Faults.NONE,
                  "ledger-role-it");
          PostClient client = new PostClient(ClientSettings.of(bootstrap), topics)) {
        Optional<Answer> answer =
            client.post(
                Services.DEMO_PRINCIPAL,
                "K1",
                "req_ledger_role_1",
                "{\"targets\":[{\"accountId\":\"acc_demo_bluesky\"}],\"text\":\"hi\"}"
                    .getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(90));
        assertThat(answer).isPresent();
        assertThat(answer.get().status()).as(answer.get().bodyText()).isEqualTo(201);
        assertThat(answer.get().bodyText()).contains("\"status\":\"published\"");
      }

      String metrics = SeedFlow.text(SeedFlow.get(health.resolve("/metrics")));
      assertThat(metrics)
          .contains("lmp_ledger_running{role=\"ledger\"} 1.0")
          .containsPattern("kafka_stream_client_state\\{[^}]*} 2\\.0")
          .contains("jvm_memory_used_bytes");
      assertThat(SeedFlow.get(health.resolve("/v1/posts")).statusCode()).isEqualTo(404);
    }
  }
}

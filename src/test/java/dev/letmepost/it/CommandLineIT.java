package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.Lmp;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lmp accounts} and {@code lmp post} against a real broker and ledger. */
class CommandLineIT {
  private record Run(int code, String out, String err) {}

  private static Run lmp(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli =
        Lmp.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void accountsAddListRemoveAndPostPrintsTheAnswer(@TempDir Path dir) {
    String bootstrap = TestBroker.bootstrapServers();
    String prefix = TestBroker.uniquePrefix();
    Topics topics = new Topics(prefix);
    TestBroker.createTopics(topics, 2);
    String[] kafka = {"--bootstrap-servers", bootstrap, "--topic-prefix", prefix};

    assertThat(
            lmp(concat(
                    new String[] {
                      "accounts",
                      "add",
                      "--id",
                      "acc_1",
                      "--principal",
                      "key_cli",
                      "--platform",
                      "bluesky",
                      "--handle",
                      "me.bsky.social"
                    },
                    kafka))
                .code())
        .isZero();
    assertThat(
            lmp(concat(
                    new String[] {
                      "accounts",
                      "add",
                      "--id",
                      "acc_2",
                      "--principal",
                      "key_cli",
                      "--platform",
                      "x",
                      "--disconnected"
                    },
                    kafka))
                .code())
        .isZero();
    try (var producer =
        new org.apache.kafka.clients.producer.KafkaProducer<String, String>(
            Map.of("bootstrap.servers", bootstrap),
            new org.apache.kafka.common.serialization.StringSerializer(),
            new org.apache.kafka.common.serialization.StringSerializer())) {
      producer.send(
          new org.apache.kafka.clients.producer.ProducerRecord<>(
              topics.accounts().name(), "acc_bad", "{not json"));
    }
    Run list = lmp(concat(new String[] {"accounts", "list"}, kafka));
    assertThat(list.code()).isZero();
    assertThat(list.err()).contains("skipping record 'acc_bad'");
    assertThat(list.out())
        .contains("acc_1", "bluesky", "me.bsky.social", "acc_2", "twitter", "disconnected");
    assertThat(lmp(concat(new String[] {"accounts", "remove", "--id", "acc_1"}, kafka)).out())
        .isEqualTo("removed acc_1\n");
    assertThat(lmp(concat(new String[] {"accounts", "list"}, kafka)).out())
        .doesNotContain("acc_1")
        .contains("acc_2");

    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = 2);
    try (KafkaStreams ledger =
        LedgerApp.start(
            config,
            LedgerApp.streamsProperties(config, ClientSettings.of(bootstrap), dir, Map.of()))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> ledger.state() == KafkaStreams.State.RUNNING);
      Run post =
          lmp(
              concat(
                  new String[] {
                    "post",
                    "--principal",
                    "key_cli",
                    "--idempotency-key",
                    "K1",
                    "--request-id",
                    "req-cli-1",
                    "--target",
                    "acc_2",
                    "--text",
                    "hi"
                  },
                  kafka));
      assertThat(post.out())
          .startsWith(
              "status: 207\nreplayed: false\nrequest-id: req-cli-1\nidempotency-key: K1\nbatch: batch_");
      assertThat(post.out()).contains("\"code\":\"account_disconnected\"");
      assertThat(post.code()).isZero();

      Run invalid =
          lmp(
              concat(
                  new String[] {
                    "post",
                    "--principal",
                    "key_cli",
                    "--request-id",
                    "req-cli-2",
                    "--target",
                    "acc_2",
                    "--text",
                    ""
                  },
                  kafka));
      assertThat(invalid.code()).as("a non-2xx answer exits 1").isEqualTo(1);
      assertThat(invalid.out())
          .startsWith("status: 400\n")
          .contains("preflight_failed", "text must be a non-blank string");
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

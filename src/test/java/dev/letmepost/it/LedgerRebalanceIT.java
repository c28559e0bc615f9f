package dev.letmepost.it;

import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.testing.Workload;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ledger instances share the work: the second joins mid-stream, then the first leaves, each
 * time a rebalance moves tasks and their stores. No publish task is emitted twice and every request
 * is answered exactly once.
 */
class LedgerRebalanceIT {
  private static final int PARTITIONS = 4;

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void twoInstancesShareTheWorkAcrossRebalancesWithoutDuplicateTasks(@TempDir Path dir)
      throws Exception {
    String bootstrap = TestBroker.bootstrapServers();
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, PARTITIONS);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = PARTITIONS);
    Services.registerDemoAccounts(ClientSettings.of(bootstrap), topics);
    Map<String, Object> fast =
        Map.of(
            StreamsConfig.consumerPrefix("session.timeout.ms"),
            6000,
            StreamsConfig.consumerPrefix("heartbeat.interval.ms"),
            500);

    try (Services.SandboxPublishing publishing =
            Services.startSandboxPublishing(
                ClientSettings.of(bootstrap),
                topics,
                dir.resolve("sandbox"),
                0,
                Faults.NONE,
                "it");
        PostClient client = new PostClient(ClientSettings.of(bootstrap), topics)) {
      KafkaStreams a =
          LedgerApp.start(
              config,
              LedgerApp.streamsProperties(
                  config, ClientSettings.of(bootstrap), dir.resolve("a"), fast));
      KafkaStreams b = null;
      try {
        awaitRunning(a);
        Workload work = new Workload(client, 42);
        work.sendNew(40);
        work.sendRetries(20);

        b =
            LedgerApp.start(
                config,
                LedgerApp.streamsProperties(
                    config, ClientSettings.of(bootstrap), dir.resolve("b"), fast));
        work.sendNew(40);
        work.sendRetries(30);
        KafkaStreams second = b;
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () ->
                    second.state() == KafkaStreams.State.RUNNING
                        && a.state() == KafkaStreams.State.RUNNING
                        && activeTasks(second) > 0
                        && activeTasks(a) > 0);
        work.sendNew(40);
        work.sendRetries(30);

        a.close(Duration.ofSeconds(30));
        work.sendNew(20);
        work.sendRetries(40);

        var answers = work.awaitAnswers(Duration.ofSeconds(90));
        work.assertNothingTwiceAndEveryRequestAnsweredOnce(
            bootstrap, topics, answers, dir.resolve("sandbox"));
      } finally {
        a.close(Duration.ofSeconds(30));
        if (b != null) {
          b.close(Duration.ofSeconds(30));
        }
      }
    }
  }

  private static int activeTasks(KafkaStreams streams) {
    return streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
  }

  private static void awaitRunning(KafkaStreams streams) {
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> streams.state() == KafkaStreams.State.RUNNING);
  }
}

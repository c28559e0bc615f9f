package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.platform.sandbox.SandboxServer;
import dev.letmepost.publish.Publishers;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.testing.Workload;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded soak: over a thousand commands ({@code soak.keys} new keys), a third of them client
 * retries, against a sandbox platform that fails, rate limits and hangs up after saving, without
 * deduplication; the publishers are restarted midway (handing their unfinished tasks over through
 * the journal). Zero duplicate publishes, every request answered exactly once, every target
 * published.
 */
class PublishingSoakIT {
  private static final Logger log = LoggerFactory.getLogger(PublishingSoakIT.class);
  private static final int PARTITIONS = 6;

  /** New keys: system property {@code soak.keys}, 800 in the default suite, 1600 with -Pcrash. */
  private static final int NEW_COMMANDS = Integer.getInteger("soak.keys", 800);

  /** Client retries: half as many as new keys. */
  private static final int RETRIES = NEW_COMMANDS / 2;

  @Test
  @Timeout(value = 170, unit = TimeUnit.SECONDS)
  void thousandsOfCommandsWithRetriesAndFaultsPublishEachTargetOnce(@TempDir Path dir)
      throws Exception {
    String bootstrap = TestBroker.bootstrapServers();
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, PARTITIONS);
    Services.registerDemoAccounts(ClientSettings.of(bootstrap), topics);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = PARTITIONS);
    Faults faults =
        Faults.NONE
            .withErrorRate(0.03)
            .withRateLimitRate(0.003)
            .withHangupRate(0.03)
            .withDedup(false)
            .withSeed(5);
    long start = System.nanoTime();
    try (SandboxServer sandbox =
            SandboxServer.start(
                new SandboxPlatform(dir.resolve("sandbox"), Clock.systemUTC()),
                "127.0.0.1",
                0,
                faults);
        KafkaStreams ledger =
            LedgerApp.start(
                config,
                LedgerApp.streamsProperties(
                    config, ClientSettings.of(bootstrap), dir.resolve("ledger"), Map.of()));
        PostClient client = new PostClient(ClientSettings.of(bootstrap), topics)) {
      Workload work = new Workload(client, 99);
      Publishers publishers = startPublishers(bootstrap, topics, sandbox);
      try {
        work.sendNew(NEW_COMMANDS / 2);
        work.sendRetries(RETRIES / 2);
        publishers.close();
        publishers = startPublishers(bootstrap, topics, sandbox);
        work.sendNew(NEW_COMMANDS / 2);
        work.sendRetries(RETRIES / 2);

        var answers = work.awaitAnswers(Duration.ofSeconds(90));
        double seconds = (System.nanoTime() - start) / 1e9;

        List<PublishTask> tasks =
            work.assertEveryRequestAnsweredOnceAndEachTargetTaskedOnce(bootstrap, topics, answers);
        Map<String, Long> postsPerTask =
            SandboxPlatform.readPosts(dir.resolve("sandbox")).stream()
                .collect(
                    Collectors.groupingBy(
                        SandboxPlatform.AcceptedPost::taskId, Collectors.counting()));
        assertThat(postsPerTask)
            .as("posts per task (the sandbox does not deduplicate)")
            .allSatisfy((task, n) -> assertThat(n).as(task).isEqualTo(1L));
        assertThat(postsPerTask.keySet())
            .containsExactlyInAnyOrderElementsOf(tasks.stream().map(PublishTask::taskId).toList());
        List<TargetOutcome> outcomes =
            TopicReader.readAll(
                    ClientSettings.of(bootstrap),
                    topics.outcomes().name(),
                    new StringDeserializer(),
                    new ByteArrayDeserializer())
                .stream()
                .map(r -> Json.read(r.value(), TargetOutcome.class))
                .toList();
        assertThat(outcomes).extracting(TargetOutcome::taskId).doesNotHaveDuplicates();
        assertThat(outcomes)
            .allSatisfy(o -> assertThat(o.status()).isEqualTo(TargetOutcome.Status.published));
        assertThat(sandbox.stats().hangupsAfterSaving()).isPositive();
        log.warn(
            "soak: {} commands ({} new keys, {} retries), {} targets, in {} s ({} commands/s);"
                + " sandbox {}",
            work.requests(),
            NEW_COMMANDS,
            RETRIES,
            tasks.size(),
            String.format("%.1f", seconds),
            String.format("%.0f", work.requests() / seconds),
            sandbox.stats());
      } finally {
        publishers.close();
      }
    }
  }

  private static Publishers startPublishers(
      String bootstrap, Topics topics, SandboxServer sandbox) {
    return Services.startPublishers(
        ClientSettings.of(bootstrap),
        topics,
        EnumSet.of(Platform.TWITTER, Platform.LINKEDIN, Platform.BLUESKY),
        "soak",
        sandbox.uri());
  }
}

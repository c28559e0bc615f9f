package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.platform.sandbox.SandboxServer;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.testing.Workload;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishers killed with SIGKILL mid-call, against a sandbox platform that is slow, fails, rate
 * limits, and accepts posts then hangs up; the sandbox does NOT deduplicate, so any repeated call
 * that reaches it shows as a second line in posts.jsonl. Nothing is published twice, and every
 * target ends published, failed or unknown, with unknown only where the call's fate was unknown.
 */
class PublisherFaultIT {
  private static final int PARTITIONS = 3;
  private static final Duration ANSWER_WAIT = Duration.ofSeconds(150);

  /** The ledger in-process and the world around the child publisher. */
  private record World(String bootstrap, Topics topics, Path dir, SandboxServer sandbox) {
    List<String> publisherArgs() {
      return List.of(
          "--bootstrap-servers",
          bootstrap,
          "--topic-prefix",
          topics.prefix(),
          "--platform",
          "twitter,linkedin,bluesky",
          "--sandbox-url",
          sandbox.uri().toString(),
          "--instance-id",
          "fault-it",
          // any free port: a fixed 8082 collides with any other publisher on the machine
          "--health-port",
          "0",
          "--threads",
          "4",
          "--request-timeout",
          "PT2S");
    }

    Path sandboxDir() {
      return dir.resolve("sandbox");
    }
  }

  @Test
  @Timeout(value = 400, unit = TimeUnit.SECONDS)
  void killingThePublisherMidCallPublishesNothingTwiceAndReconcilesEveryTarget(@TempDir Path dir)
      throws Exception {
    Faults faults =
        Faults.NONE
            .withLatency(Duration.ofMillis(150))
            .withErrorRate(0.1)
            .withRateLimitRate(0.1)
            .withHangupRate(0.15)
            .withDedup(false)
            .withSeed(11);
    run(
        dir,
        faults,
        (world, outcomes) -> {
          assertThat(outcomes.values())
              .as("with a lookup, every interrupted call is reconciled: no target stays unknown")
              .allSatisfy(o -> assertThat(o.status()).isEqualTo(TargetOutcome.Status.published));
          assertThat(world.sandbox().stats().hangupsAfterSaving())
              .as("the sandbox did hang up after saving")
              .isPositive();
        });
  }

  @Test
  @Timeout(value = 400, unit = TimeUnit.SECONDS)
  void withoutALookupAnInterruptedCallIsUnknownAndNeverRepeated(@TempDir Path dir)
      throws Exception {
    Faults faults =
        Faults.NONE
            .withLatency(Duration.ofMillis(150))
            .withRateLimitRate(0.1)
            .withHangupRate(0.2)
            .withDedup(false)
            .withLookup(false)
            .withSeed(23);
    run(
        dir,
        faults,
        (world, outcomes) -> {
          long unknown =
              outcomes.values().stream()
                  .filter(o -> o.status() == TargetOutcome.Status.unknown)
                  .count();
          assertThat(unknown)
              .as("each answer lost after saving leaves its target unknown")
              .isGreaterThanOrEqualTo(world.sandbox().stats().hangupsAfterSaving());
          assertThat(outcomes.values())
              .filteredOn(o -> o.status() == TargetOutcome.Status.unknown)
              .allSatisfy(
                  o ->
                      assertThat(o.error().code())
                          .as("unknown " + o.taskId())
                          .isEqualTo("outcome_unknown"));
        });
  }

  /** What a scenario checks beyond the invariants every scenario shares. */
  private interface Check {
    void accept(World world, Map<String, TargetOutcome> outcomesByTask) throws Exception;
  }

  private void run(Path dir, Faults faults, Check check) throws Exception {
    String bootstrap = TestBroker.bootstrapServers();
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, PARTITIONS);
    Services.registerDemoAccounts(ClientSettings.of(bootstrap), topics);
    LedgerConfig config =
        LedgerConfig.defaults(topics)
            .with(
                c -> {
                  c.partitions = PARTITIONS;
                  c.targetDeadline = Duration.ofSeconds(120);
                });
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
      World world = new World(bootstrap, topics, dir, sandbox);
      Workload work = new Workload(client, faults.seed());
      ChildLmp publisher = ChildLmp.publisher(world.publisherArgs());
      try {
        publisher.awaitRunning(Duration.ofSeconds(60));
        phase("started");
        work.sendNew(40);
        work.sendRetries(15);
        awaitPosts(world, 8);
        phase("8 posts");
        publisher.kill();
        work.sendNew(20);
        work.sendRetries(15);
        publisher = ChildLmp.publisher(world.publisherArgs());
        publisher.awaitRunning(Duration.ofSeconds(60));
        phase("restarted");
        awaitPosts(world, 40);
        phase("40 posts");
        publisher.kill();
        work.sendRetries(10);
        publisher = ChildLmp.publisher(world.publisherArgs());
        publisher.awaitRunning(Duration.ofSeconds(60));

        phase("restarted again");
        var answers = work.awaitAnswers(ANSWER_WAIT);
        phase("answered");
        var tasks =
            work.assertEveryRequestAnsweredOnceAndEachTargetTaskedOnce(
                world.bootstrap(), world.topics(), answers);

        Map<String, TargetOutcome> outcomes = outcomesByTask(world);
        assertThat(postsPerTask(world.sandboxDir()))
            .as("posts per task in posts.jsonl (the sandbox does not deduplicate)")
            .allSatisfy((task, n) -> assertThat(n).as(task).isEqualTo(1L));
        Map<String, SandboxPlatform.AcceptedPost> posts = postsByTask(world.sandboxDir());
        assertThat(outcomes.values())
            .allSatisfy(
                o -> {
                  switch (o.status()) {
                    case published ->
                        assertThat(posts.get(o.taskId()))
                            .as("the post of published " + o.taskId())
                            .isNotNull()
                            .extracting(SandboxPlatform.AcceptedPost::postId)
                            .isEqualTo(o.postId());
                    case failed ->
                        assertThat(posts).as("failed " + o.taskId()).doesNotContainKey(o.taskId());
                    case unknown -> {
                      // checked by the scenario
                    }
                  }
                });
        assertThat(outcomes.keySet())
            .as("one outcome per task")
            .containsExactlyInAnyOrderElementsOf(
                tasks.stream().map(dev.letmepost.wire.PublishTask::taskId).toList());
        check.accept(world, outcomes);
        assertThat(publisher.output()).doesNotContain("Exception in thread");
      } finally {
        publisher.close();
      }
    }
  }

  private static void phase(String what) {
    System.err.println("PHASE " + java.time.Instant.now() + " " + what);
  }

  private static void awaitPosts(World world, int atLeast) {
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                Files.exists(world.sandboxDir().resolve(SandboxPlatform.POSTS_FILE))
                    && SandboxPlatform.readPosts(world.sandboxDir()).size() >= atLeast);
  }

  /** The one outcome per task on the outcomes topic (read_committed); fails on a second one. */
  private static Map<String, TargetOutcome> outcomesByTask(World world) {
    List<TargetOutcome> all =
        TopicReader.readAll(
                ClientSettings.of(world.bootstrap()),
                world.topics().outcomes().name(),
                new StringDeserializer(),
                new ByteArrayDeserializer())
            .stream()
            .map(r -> Json.read(r.value(), TargetOutcome.class))
            .toList();
    assertThat(all).extracting(TargetOutcome::taskId).doesNotHaveDuplicates();
    Set<String> statuses = all.stream().map(o -> o.status().name()).collect(Collectors.toSet());
    assertThat(statuses).isSubsetOf("published", "failed", "unknown");
    return all.stream().collect(Collectors.toMap(TargetOutcome::taskId, Function.identity()));
  }

  private static Map<String, Long> postsPerTask(Path sandboxDir) {
    return SandboxPlatform.readPosts(sandboxDir).stream()
        .collect(
            Collectors.groupingBy(SandboxPlatform.AcceptedPost::taskId, Collectors.counting()));
  }

  private static Map<String, SandboxPlatform.AcceptedPost> postsByTask(Path sandboxDir) {
    return SandboxPlatform.readPosts(sandboxDir).stream()
        .collect(
            Collectors.toMap(
                SandboxPlatform.AcceptedPost::taskId, Function.identity(), (a, b) -> a));
  }
}

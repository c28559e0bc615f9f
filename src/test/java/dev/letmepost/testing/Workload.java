package dev.letmepost.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.client.Answer;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Client traffic for the integration tests: new keyed requests over the demo accounts and retries
 * of earlier ones, then the checks that nothing was published twice and every request was answered
 * exactly once, with byte-identical answers per key.
 */
public final class Workload {
  public static final String PRINCIPAL = "key_demo";
  private static final List<String> ACCOUNTS =
      List.of("acc_demo_twitter", "acc_demo_linkedin", "acc_demo_bluesky");

  private record Sent(String requestId, String key, byte[] body) {}

  private final PostClient client;
  private final Random random;
  private final List<Sent> sent = new ArrayList<>();
  private final Map<String, byte[]> bodies = new HashMap<>();
  private final Map<String, Answer> early = new HashMap<>();
  private final String runId;
  private int keys;

  public Workload(PostClient client, long seed) {
    this.client = client;
    this.random = new Random(seed);
    this.runId = Long.toHexString(seed);
  }

  /** Sends {@code count} requests under new keys. */
  public void sendNew(int count) {
    for (int i = 0; i < count; i++) {
      String key = runId + "-key-" + keys++;
      List<String> targets = new ArrayList<>(ACCOUNTS);
      java.util.Collections.shuffle(targets, random);
      targets = targets.subList(0, 1 + random.nextInt(targets.size()));
      StringBuilder b = new StringBuilder("{\"targets\":[");
      for (int t = 0; t < targets.size(); t++) {
        b.append(t == 0 ? "" : ",")
            .append("{\"accountId\":\"")
            .append(targets.get(t))
            .append("\"}");
      }
      b.append("],\"text\":\"post ").append(key).append("\"}");
      byte[] body = b.toString().getBytes(StandardCharsets.UTF_8);
      bodies.put(key, body);
      send(key, body);
    }
  }

  /** Sends {@code count} retries of random earlier keys, byte-identical bodies. */
  public void sendRetries(int count) {
    List<String> known = new ArrayList<>(bodies.keySet());
    java.util.Collections.sort(known);
    for (int i = 0; i < count && !known.isEmpty(); i++) {
      String key = known.get(random.nextInt(known.size()));
      send(key, bodies.get(key));
    }
  }

  private void send(String key, byte[] body) {
    String requestId = "req-" + runId + "-" + sent.size();
    client.send(PRINCIPAL, key, requestId, body);
    sent.add(new Sent(requestId, key, body));
  }

  public int requests() {
    return sent.size();
  }

  /** Awaits the answer to the first request sent: the ledger is processing. */
  public void awaitFirstAnswer(Duration timeout) {
    Sent first = sent.get(0);
    early.put(
        first.requestId(),
        client
            .await(first.requestId(), timeout)
            .orElseThrow(
                () ->
                    new AssertionError(
                        "no answer to the first request "
                            + first.requestId()
                            + " within "
                            + timeout)));
  }

  /** Awaits every answer; fails naming the first request without one. */
  public Map<String, Answer> awaitAnswers(Duration eachTimeout) {
    Map<String, Answer> answers = new HashMap<>(early);
    for (Sent s : sent) {
      if (answers.containsKey(s.requestId())) {
        continue;
      }
      Answer a = client.await(s.requestId(), eachTimeout).orElse(null);
      assertThat(a).as("answer to " + s.requestId() + " (key " + s.key() + ")").isNotNull();
      answers.put(s.requestId(), a);
    }
    return answers;
  }

  /**
   * The invariants of the product, checked from the topics and the sandbox's ground truth, for a
   * run in which every target publishes.
   */
  public void assertNothingTwiceAndEveryRequestAnsweredOnce(
      String bootstrapServers, Topics topics, Map<String, Answer> answers, Path sandboxDir) {
    List<PublishTask> tasks =
        assertEveryRequestAnsweredOnceAndEachTargetTaskedOnce(bootstrapServers, topics, answers);
    var posts = SandboxPlatform.readPosts(sandboxDir);
    assertThat(
            posts.stream()
                .collect(
                    Collectors.groupingBy(
                        SandboxPlatform.AcceptedPost::taskId, Collectors.counting())))
        .as("sandbox posts per task")
        .allSatisfy((task, n) -> assertThat(n).as(task).isEqualTo(1L));
    assertThat(posts.stream().map(SandboxPlatform.AcceptedPost::taskId).collect(Collectors.toSet()))
        .as("tasks with a post; target results in the answers: " + targetResults(answers))
        .containsExactlyInAnyOrderElementsOf(tasks.stream().map(PublishTask::taskId).toList());
  }

  /**
   * The ledger's side of the invariants: every request answered exactly once, byte-identical
   * answers per key, one publish task per target of every key. Returns the tasks.
   */
  public List<PublishTask> assertEveryRequestAnsweredOnceAndEachTargetTaskedOnce(
      String bootstrapServers, Topics topics, Map<String, Answer> answers) {
    var results =
        TopicReader.readAll(
            ClientSettings.of(bootstrapServers),
            topics.results().name(),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    Map<String, Long> answersPerRequest =
        results.stream()
            .filter(r -> r.key().startsWith("req-" + runId + "-"))
            .collect(Collectors.groupingBy(r -> r.key(), Collectors.counting()));
    assertThat(answersPerRequest)
        .as("answers per request id on the results topic")
        .hasSize(sent.size())
        .allSatisfy((id, n) -> assertThat(n).as("answers to " + id).isEqualTo(1L));

    Map<String, List<Sent>> byKey = sent.stream().collect(Collectors.groupingBy(Sent::key));
    byKey.forEach(
        (key, requests) -> {
          Answer first = answers.get(requests.get(0).requestId());
          assertThat(first.status()).as("status of " + key).isIn(201, 207);
          for (Sent s : requests) {
            Answer a = answers.get(s.requestId());
            assertThat(a.body())
                .as("answer bytes of " + s.requestId() + " for key " + key)
                .isEqualTo(first.body());
            assertThat(a.status()).isEqualTo(first.status());
          }
          assertThat(requests.stream().filter(s -> !answers.get(s.requestId()).replayed()).count())
              .as("exactly one first-time answer for key " + key)
              .isEqualTo(1L);
        });

    List<PublishTask> tasks = tasksOncePerTarget(bootstrapServers, topics);
    long expectedTargets =
        byKey.keySet().stream().mapToLong(k -> countTargets(bodies.get(k))).sum();
    assertThat(tasks).as("one task per target of every key").hasSize((int) expectedTargets);
    return tasks;
  }

  /** How many target results of the first answers have each status and error code. */
  private static Map<String, Long> targetResults(Map<String, Answer> answers) {
    Map<String, Long> counts = new java.util.TreeMap<>();
    for (Answer a : answers.values()) {
      if (a.replayed()) {
        continue;
      }
      com.fasterxml.jackson.databind.JsonNode body;
      try {
        body = Json.MAPPER.readTree(a.body());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      for (var r : body.path("results")) {
        counts.merge(
            r.path("status").asText() + "/" + r.path("error").path("code").asText(""),
            1L,
            Long::sum);
      }
    }
    return counts;
  }

  private static long countTargets(byte[] body) {
    return new String(body, StandardCharsets.UTF_8).split("accountId", -1).length - 1;
  }

  /**
   * Every publish task on the demo platforms' topics, asserting that no (fingerprint, TTL period,
   * target) and no task id was fanned out twice.
   */
  static List<PublishTask> tasksOncePerTarget(String bootstrapServers, Topics topics) {
    List<PublishTask> tasks = new ArrayList<>();
    for (Platform p : List.of(Platform.TWITTER, Platform.LINKEDIN, Platform.BLUESKY)) {
      TopicReader.readAll(
              ClientSettings.of(bootstrapServers),
              topics.publish(p).name(),
              new StringDeserializer(),
              new ByteArrayDeserializer())
          .forEach(r -> tasks.add(Json.read(r.value(), PublishTask.class)));
    }
    assertThat(
            tasks.stream()
                .collect(
                    Collectors.groupingBy(
                        t -> t.fingerprint() + "/" + t.recordedAt() + "/" + t.targetIndex(),
                        Collectors.counting())))
        .as("publish tasks per (fingerprint, TTL period, target)")
        .allSatisfy((target, n) -> assertThat(n).as(target).isEqualTo(1L));
    assertThat(tasks).extracting(PublishTask::taskId).doesNotHaveDuplicates();
    return tasks;
  }
}

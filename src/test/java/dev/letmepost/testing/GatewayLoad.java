package dev.letmepost.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * HTTP clients of several gateway instances, as a well-behaved API client is: every request under
 * an {@code Idempotency-Key}, retried with the same key and body on any live instance when the
 * answer is not final (a {@code 202} after the gateway's answer timeout, {@code 503}, {@code 409
 * idempotency_in_progress}, or a connection that broke because the instance died), until the final
 * {@code 201}/{@code 207}. Some keys are also sent twice at once, and some again after their answer
 * (random retries).
 *
 * <p>{@link #assertInvariants} then checks from the topics and the sandbox's ground truth that
 * nothing was published twice, every command got exactly one answer, each key exactly one first
 * answer, and every final answer of a key is the same bytes.
 */
public final class GatewayLoad implements AutoCloseable {
  public static final String PRINCIPAL = "key_demo";
  private static final List<String> ACCOUNTS =
      List.of("acc_demo_twitter", "acc_demo_linkedin", "acc_demo_bluesky");
  private static final Duration PACE = Duration.ofMillis(250);

  /** A final answer as the client saw it. */
  public record Reply(int status, boolean replayed, String requestId, byte[] body) {
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(2))
          .version(HttpClient.Version.HTTP_1_1)
          .build();
  private final String apiKey;
  private final Supplier<List<URI>> gateways;
  private final Duration keyDeadline;
  private final Random random;
  private final String runId;
  private final ExecutorService pool;
  private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
  private final Map<String, List<Reply>> finals = new ConcurrentHashMap<>();
  private final List<Future<?>> submitted = new CopyOnWriteArrayList<>();
  private final AtomicLong posts = new AtomicLong();
  private final AtomicLong pendings = new AtomicLong();
  private final AtomicLong unavailable = new AtomicLong();
  private final AtomicLong inProgress = new AtomicLong();
  private final AtomicLong brokenConnections = new AtomicLong();
  private int keys;

  /**
   * @param gateways the base URIs of the instances alive right now (asked before every attempt)
   * @param keyDeadline how long a key may go without a final answer before the load fails
   * @param clients how many requests are in flight at most
   */
  public GatewayLoad(
      String apiKey, Supplier<List<URI>> gateways, Duration keyDeadline, int clients, long seed) {
    this.apiKey = apiKey;
    this.gateways = gateways;
    this.keyDeadline = keyDeadline;
    this.random = new Random(seed);
    this.runId = Long.toHexString(seed);
    this.pool = Executors.newFixedThreadPool(clients);
  }

  /** A new key with a body of 1 to 3 random demo targets; not sent yet. */
  public synchronized String newKey(String label) {
    String key = runId + "-" + label + "-" + keys++;
    List<String> targets = new ArrayList<>(ACCOUNTS);
    Collections.shuffle(targets, random);
    targets = targets.subList(0, 1 + random.nextInt(targets.size()));
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int t = 0; t < targets.size(); t++) {
      b.append(t == 0 ? "" : ",").append("{\"accountId\":\"").append(targets.get(t)).append("\"}");
    }
    b.append("],\"text\":\"post ").append(key).append("\"}");
    bodies.put(key, b.toString().getBytes(StandardCharsets.UTF_8));
    return key;
  }

  /**
   * Sends {@code count} new keys in the background, each to a random live instance; about a third
   * are sent twice at once (to two instances when two are alive) and a third again once answered.
   */
  public void submitNew(int count) {
    for (int i = 0; i < count; i++) {
      String key = newKey("k");
      boolean twiceAtOnce;
      boolean again;
      synchronized (this) {
        twiceAtOnce = random.nextInt(3) == 0;
        again = random.nextInt(3) == 0;
      }
      submitted.add(
          pool.submit(
              () -> {
                answer(key, this::anyGateway);
                if (again) {
                  answer(key, this::anyGateway);
                }
                return null;
              }));
      if (twiceAtOnce) {
        submitted.add(pool.submit(() -> answer(key, this::anyGateway)));
      }
    }
  }

  /** Keys sent and fully answered so far (for pacing a test's phases). */
  public int answeredKeys() {
    return finals.size();
  }

  /** Waits for every background request; fails naming the keys left without a final answer. */
  public void awaitAll(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    for (Future<?> f : submitted) {
      try {
        f.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        throw new AssertionError("a request failed: " + e.getCause(), e.getCause());
      } catch (TimeoutException e) {
        Set<String> missing = new java.util.TreeSet<>(bodies.keySet());
        missing.removeAll(finals.keySet());
        throw new AssertionError(
            "requests still without a final answer after " + timeout + ": " + missing);
      }
    }
  }

  /**
   * Sends {@code key} (its recorded body) to {@code where} until a final answer comes, and returns
   * it; records it as one of the key's final answers. Fails after the key deadline.
   */
  public Reply answer(String key, Supplier<URI> where) {
    byte[] body = bodies.get(key);
    long end = System.nanoTime() + keyDeadline.toNanos();
    String last = "nothing";
    while (System.nanoTime() < end) {
      URI base = where.get();
      if (base == null) {
        last = "no instance alive";
        pace();
        continue;
      }
      posts.incrementAndGet();
      HttpResponse<byte[]> r;
      try {
        r =
            http.send(
                HttpRequest.newBuilder(base.resolve("/v1/posts"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + apiKey)
                    .header("Idempotency-Key", key)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build(),
                HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        brokenConnections.incrementAndGet();
        last = base + ": " + e;
        pace();
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
      int status = r.statusCode();
      String code = errorCode(r.body());
      if (status == 201 || status == 207) {
        Reply reply =
            new Reply(
                status,
                r.headers().firstValue("Idempotent-Replayed").orElse("").equals("true"),
                r.headers().firstValue("Lmp-Request-Id").orElse(null),
                r.body());
        finals.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(reply);
        return reply;
      } else if (status == 202 && "request".equals(object(r.body()))) {
        pendings.incrementAndGet(); // the gateway's answer timeout: ask again with the same key
      } else if (status == 503) {
        unavailable.incrementAndGet();
        pace();
      } else if (status == 409 && "idempotency_in_progress".equals(code)) {
        inProgress.incrementAndGet();
        pace();
      } else {
        throw new AssertionError(
            "unexpected answer "
                + status
                + " from "
                + base
                + " for key "
                + key
                + ": "
                + new String(r.body(), StandardCharsets.UTF_8));
      }
      last = base + ": " + status + " " + new String(r.body(), StandardCharsets.UTF_8);
    }
    throw new AssertionError(
        "no final answer for key " + key + " within " + keyDeadline + "; last: " + last);
  }

  /**
   * Retries every key once more and checks the replay: the same status and bytes as its first final
   * answer, marked replayed.
   */
  public void assertReplaysIdentical() throws InterruptedException {
    List<Future<?>> replays = new ArrayList<>();
    for (String key : new TreeMap<>(bodies).keySet()) {
      replays.add(
          pool.submit(
              () -> {
                Reply first = finals.get(key).get(0);
                Reply replay = answer(key, this::anyGateway);
                assertThat(replay.replayed())
                    .as("replay of " + key + " is marked replayed")
                    .isTrue();
                assertThat(replay.status()).as("replay status of " + key).isEqualTo(first.status());
                assertThat(replay.body()).as("replay bytes of " + key).isEqualTo(first.body());
              }));
    }
    for (Future<?> f : replays) {
      try {
        f.get();
      } catch (ExecutionException e) {
        throw new AssertionError(e.getCause().getMessage(), e.getCause());
      }
    }
  }

  /** Client-side counts, for the test's report. */
  public String stats() {
    return String.format(
        "%d keys, %d POSTs (%d answered 202 pending, %d 503, %d 409 in progress, %d broken"
            + " connections)",
        bodies.size(),
        posts.get(),
        pendings.get(),
        unavailable.get(),
        inProgress.get(),
        brokenConnections.get());
  }

  /**
   * The product's invariants after the load: from the client, every key's final answers are the
   * same status and bytes; from the topics (read_committed), every command has exactly one answer
   * on the results topic, each key exactly one first (not replayed) answer and all its 2xx answers
   * the same bytes, one publish task per target of every key, one outcome per task, all published,
   * each published post in the sandbox's posts.jsonl exactly once with the outcome's post id.
   * Returns the outcomes by task id.
   */
  public Map<String, TargetOutcome> assertInvariants(
      String bootstrapServers, Topics topics, Path sandboxDir) {
    // Client side: every key answered, every answer of a key identical.
    assertThat(finals.keySet()).as("keys with a final answer").isEqualTo(bodies.keySet());
    finals.forEach(
        (key, replies) -> {
          Reply first = replies.get(0);
          assertThat(replies)
              .as("final answers of " + key)
              .allSatisfy(
                  r -> {
                    assertThat(r.status()).isEqualTo(first.status());
                    assertThat(r.body()).isEqualTo(first.body());
                  });
        });

    // Kafka side: every command answered exactly once.
    List<ConsumerRecord<byte[], byte[]>> commands =
        TopicReader.readAll(
            ClientSettings.of(bootstrapServers),
            topics.commands().name(),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
    List<ConsumerRecord<String, byte[]>> results =
        TopicReader.readAll(
            ClientSettings.of(bootstrapServers),
            topics.results().name(),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    Set<String> commandIds =
        commands.stream().map(r -> header(r, LmpHeaders.REQUEST_ID)).collect(Collectors.toSet());
    assertThat(commandIds).as("every command has a request id").doesNotContainNull();
    Map<String, Long> answersPerRequest =
        results.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
    assertThat(answersPerRequest.keySet())
        .as("request ids answered on the results topic = request ids of the commands")
        .isEqualTo(commandIds);
    assertThat(answersPerRequest)
        .as("answers per request id")
        .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1L));

    // Each key: one first answer, all 2xx answers the same bytes as the client's.
    Map<String, List<ConsumerRecord<String, byte[]>>> byKey =
        results.stream()
            .filter(r -> header(r, LmpHeaders.STATUS).startsWith("2"))
            .collect(Collectors.groupingBy(r -> header(r, LmpHeaders.IDEMPOTENCY_KEY)));
    assertThat(byKey.keySet()).as("keys answered on the results topic").isEqualTo(bodies.keySet());
    byKey.forEach(
        (key, rs) -> {
          assertThat(rs.stream().filter(r -> !"true".equals(header(r, LmpHeaders.REPLAYED))))
              .as("first (not replayed) answers of key " + key)
              .hasSize(1);
          assertThat(rs)
              .as("answer bytes of key " + key)
              .allSatisfy(r -> assertThat(r.value()).isEqualTo(finals.get(key).get(0).body()));
        });

    // One task per target; one outcome per task; each post once in the ground truth.
    List<PublishTask> tasks = Workload.tasksOncePerTarget(bootstrapServers, topics);
    long targets =
        bodies.values().stream()
            .mapToLong(b -> new String(b, StandardCharsets.UTF_8).split("accountId", -1).length - 1)
            .sum();
    assertThat(tasks).as("one publish task per target of every key").hasSize((int) targets);

    List<TargetOutcome> outcomes =
        TopicReader.readAll(
                ClientSettings.of(bootstrapServers),
                topics.outcomes().name(),
                new StringDeserializer(),
                new ByteArrayDeserializer())
            .stream()
            .map(r -> Json.read(r.value(), TargetOutcome.class))
            .toList();
    assertThat(outcomes).extracting(TargetOutcome::taskId).doesNotHaveDuplicates();
    assertThat(outcomes.stream().map(TargetOutcome::taskId).collect(Collectors.toSet()))
        .as("one outcome per task")
        .isEqualTo(tasks.stream().map(PublishTask::taskId).collect(Collectors.toSet()));

    List<SandboxPlatform.AcceptedPost> posts = SandboxPlatform.readPosts(sandboxDir);
    assertThat(
            posts.stream()
                .collect(
                    Collectors.groupingBy(
                        SandboxPlatform.AcceptedPost::taskId, Collectors.counting())))
        .as("posts per task in posts.jsonl (the sandbox does not deduplicate)")
        .allSatisfy((task, n) -> assertThat(n).as(task).isEqualTo(1L));
    Map<String, SandboxPlatform.AcceptedPost> postByTask =
        posts.stream()
            .collect(Collectors.toMap(SandboxPlatform.AcceptedPost::taskId, Function.identity()));
    for (TargetOutcome o : outcomes) {
      if (o.status() == TargetOutcome.Status.published) {
        assertThat(postByTask.get(o.taskId()))
            .as("the post of published " + o.taskId())
            .isNotNull()
            .extracting(SandboxPlatform.AcceptedPost::postId)
            .isEqualTo(o.postId());
      } else if (o.status() == TargetOutcome.Status.failed) {
        assertThat(postByTask).as("failed " + o.taskId()).doesNotContainKey(o.taskId());
      }
    }
    return outcomes.stream().collect(Collectors.toMap(TargetOutcome::taskId, Function.identity()));
  }

  private URI anyGateway() {
    List<URI> live = gateways.get();
    if (live.isEmpty()) {
      return null;
    }
    synchronized (this) {
      return live.get(random.nextInt(live.size()));
    }
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static JsonNode tree(byte[] body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw new UncheckedIOException("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
    }
  }

  private static String object(byte[] body) {
    return tree(body).path("object").asText(null);
  }

  private static String errorCode(byte[] body) {
    if (body.length == 0) {
      return null;
    }
    return tree(body).path("error").path("code").asText(null);
  }

  /** A client's pause between attempts (a real client honours Retry-After: 1). */
  private static void pace() {
    try {
      Thread.sleep(PACE.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}

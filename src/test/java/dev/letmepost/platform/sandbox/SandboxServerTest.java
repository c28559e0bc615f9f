package dev.letmepost.platform.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.platform.sandbox.SandboxPlatform.AcceptedPost;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox HTTP server, over a real socket, asserting its answers and posts.jsonl. */
class SandboxServerTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String BODY =
      "{\"taskId\":\"task_1\",\"batchId\":\"batch_1\",\"platform\":\"Bluesky\",\"text\":\"hello\","
          + "\"media\":[{\"url\":\"https://example.com/a.png\",\"altText\":\"a cat\"}],"
          + "\"firstComment\":\"first!\"}";

  @TempDir Path dir;
  private SandboxServer server;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() {
    server = SandboxServer.start(new SandboxPlatform(dir, CLOCK), "127.0.0.1", 0, Faults.NONE);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void newKeyIsSavedAsOneLineAndAnswered201() throws Exception {
    HttpResponse<String> response = post("acc_1", "pik_1", BODY);

    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.headers().firstValue("Idempotent-Replayed")).isEmpty();
    JsonNode json = Json.MAPPER.readTree(response.body());
    String id = json.get("id").asText();
    assertThat(id).startsWith("sbx_");
    assertThat(json.get("uri").asText()).isEqualTo("sandbox://acc_1/" + id);
    assertThat(json.get("publishedAt").asText()).isEqualTo("2026-03-01T12:00:00Z");
    assertThat(json.get("replayed").asBoolean()).isFalse();
    assertThat(Files.readAllLines(dir.resolve(SandboxPlatform.POSTS_FILE))).hasSize(1);
    assertThat(SandboxPlatform.readPosts(dir))
        .containsExactly(
            new AcceptedPost(
                "task_1",
                "pik_1",
                "acc_1",
                "bluesky",
                "batch_1",
                "hello",
                List.of(new Media("https://example.com/a.png", "a cat")),
                "first!",
                id,
                NOW));
  }

  @Test
  void sameKeyIsAnsweredWithTheFirstPostAsReplayedAndSavesNothing() throws Exception {
    String first = Json.MAPPER.readTree(post("acc_1", "pik_1", BODY).body()).get("id").asText();
    byte[] before = Files.readAllBytes(dir.resolve(SandboxPlatform.POSTS_FILE));

    HttpResponse<String> again =
        post(
            "acc_1",
            "pik_1",
            "{\"taskId\":\"task_2\",\"batchId\":\"batch_2\",\"platform\":\"sandbox\",\"text\":\"other\"}");

    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    JsonNode json = Json.MAPPER.readTree(again.body());
    assertThat(json.get("id").asText()).isEqualTo(first);
    assertThat(json.get("uri").asText()).isEqualTo("sandbox://acc_1/" + first);
    assertThat(json.get("replayed").asBoolean()).isTrue();
    assertThat(Files.readAllBytes(dir.resolve(SandboxPlatform.POSTS_FILE))).isEqualTo(before);
  }

  @Test
  void withoutDedupARepeatedKeyPostsAgainAndTheLookupAnswersTheFirst() throws Exception {
    server.faults(Faults.NONE.withDedup(false));
    String first = Json.MAPPER.readTree(post("acc_1", "pik_1", BODY).body()).get("id").asText();

    HttpResponse<String> again = post("acc_1", "pik_1", BODY);

    assertThat(again.statusCode()).isEqualTo(201);
    String second = Json.MAPPER.readTree(again.body()).get("id").asText();
    assertThat(second).isNotEqualTo(first);
    assertThat(SandboxPlatform.readPosts(dir))
        .extracting(SandboxPlatform.AcceptedPost::postId)
        .containsExactly(first, second);
    assertThat(Json.MAPPER.readTree(get("/v1/posts/by-key/pik_1").body()).get("id").asText())
        .isEqualTo(first);
  }

  @Test
  void postWithoutIdempotencyKeyIs400NamingTheHeader() throws Exception {
    HttpResponse<String> response =
        send(
            HttpRequest.newBuilder(server.uri().resolve("/v1/accounts/acc_1/posts"))
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build());

    assertError(response, 400, "missing_idempotency_key", "Idempotency-Key");
    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
  }

  @Test
  void badBodiesAre400NamingTheFieldAndValue() throws Exception {
    assertError(post("acc_1", "k", "not json"), 400, "invalid_body", "body is not JSON");
    assertError(post("acc_1", "k", "[1]"), 400, "invalid_body", "JSON object, got [1]");
    assertError(
        post("acc_1", "k", "{\"batchId\":\"b\",\"platform\":\"sandbox\"}"),
        400,
        "invalid_body",
        "taskId must be a non-empty string, got nothing");
    assertError(
        post("acc_1", "k", "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":\"myspace\"}"),
        400,
        "invalid_body",
        "platform 'myspace' is not a known platform");
    assertError(
        post(
            "acc_1",
            "k",
            "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":\"sandbox\",\"text\":42}"),
        400,
        "invalid_body",
        "text must be a string, got 42");
    assertError(
        post(
            "acc_1",
            "k",
            "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":\"sandbox\","
                + "\"media\":[{\"url\":\"ftp://x/y.png\"}]}"),
        400,
        "invalid_body",
        "media[0].url must be an http(s) URL, got 'ftp://x/y.png'");
    assertError(
        post(
            "acc_1",
            "k",
            "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":\"sandbox\",\"title\":\"x\"}"),
        400,
        "invalid_body",
        "unknown field 'title'");

    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
    assertThat(server.stats().postsAccepted()).isZero();
  }

  /**
   * Every check of a post body, with the whole message it answers: the field (with its index in
   * {@code media}), what it must be, and the value it got.
   */
  @Test
  void everyBodyCheckAnswers400WithTheWholeMessage() throws Exception {
    String head = "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":\"sandbox\"";
    assertBodyError(
        "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":\"sandbox\",\"title\":\"x\"}",
        "unknown field 'title'; the fields are taskId, batchId, platform, text, media,"
            + " firstComment");
    assertBodyError(
        "{\"taskId\":42,\"batchId\":\"b\",\"platform\":\"sandbox\"}",
        "taskId must be a non-empty string, got 42");
    assertBodyError(
        "{\"taskId\":\"t\",\"batchId\":\"  \",\"platform\":\"sandbox\"}",
        "batchId must be a non-empty string, got \"  \"");
    assertBodyError(
        "{\"taskId\":\"t\",\"batchId\":\"b\"}", "platform must be a non-empty string, got nothing");
    assertBodyError(
        "{\"taskId\":\"t\",\"batchId\":\"b\",\"platform\":null}",
        "platform must be a non-empty string, got null");
    assertBodyError(head + ",\"text\":42}", "text must be a string, got 42");
    assertBodyError(head + ",\"firstComment\":[]}", "firstComment must be a string, got []");
    assertBodyError(
        head + ",\"media\":{\"url\":\"https://x/a.png\"}}",
        "media must be an array, got {\"url\":\"https://x/a.png\"}");
    assertBodyError(
        head + ",\"media\":[{\"url\":\"https://x/a.png\"},\"b.png\"]}",
        "media[1] must be an object, got \"b.png\"");
    assertBodyError(
        head + ",\"media\":[{\"url\":\"https://x/a.png\",\"alt\":\"a\"}]}",
        "unknown field 'media[0].alt'; the fields are url, altText");
    assertBodyError(
        head + ",\"media\":[{\"altText\":\"a\"}]}",
        "media[0].url must be a non-empty string, got nothing");
    assertBodyError(
        head + ",\"media\":[{\"url\":\"https://x/a.png\",\"altText\":true}]}",
        "media[0].altText must be a string, got true");
    assertBodyError(
        head + ",\"media\":[{\"url\":\"x/a.png\"}]}",
        "media[0].url must be an http(s) URL, got 'x/a.png'");
    assertBodyError("[1]", "body must be a JSON object, got [1]");
    assertBodyError(
        head + ",\"text\":\"a\",\"text\":\"b\"}", "body is not JSON: Duplicate field 'text'");

    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
    assertThat(server.stats().postsAccepted()).isZero();
  }

  /** Regression: an empty body was answered "body must be a JSON object, got " (naming nothing). */
  @Test
  void anEmptyBodyIs400SayingItGotNothing() throws Exception {
    assertBodyError("", "body must be a JSON object, got nothing");
  }

  /** The answers' whole bodies, byte for byte: a new post, a replay, a lookup and an error. */
  @Test
  void answersAreTheDocumentedJsonByteForByte() throws Exception {
    HttpResponse<String> created = post("acc_1", "pik_1", BODY);
    String id = Json.MAPPER.readTree(created.body()).get("id").asText();
    String post =
        "{\"id\":\""
            + id
            + "\",\"uri\":\"sandbox://acc_1/"
            + id
            + "\",\"publishedAt\":\"2026-03-01T12:00:00Z\"";

    assertThat(created.body()).isEqualTo(post + ",\"replayed\":false}");
    assertThat(post("acc_1", "pik_1", BODY).body()).isEqualTo(post + ",\"replayed\":true}");
    assertThat(get("/v1/posts/by-key/pik_1").body())
        .isEqualTo(
            post
                + ",\"accountId\":\"acc_1\",\"platform\":\"bluesky\",\"taskId\":\"task_1\","
                + "\"batchId\":\"batch_1\"}");
    assertThat(get("/v1/posts/by-key/nope").body())
        .isEqualTo(
            "{\"error\":{\"code\":\"not_found\","
                + "\"message\":\"no post was accepted with idempotency key nope\"}}");
    assertThat(get("/healthz").body()).isEqualTo("{\"status\":\"ok\"}");
  }

  @Test
  void lookupAnswersTheAcceptedPostByKey() throws Exception {
    String id = Json.MAPPER.readTree(post("acc_1", "pik/1 +x", BODY).body()).get("id").asText();

    HttpResponse<String> found = get("/v1/posts/by-key/pik%2F1%20+x");

    assertThat(found.statusCode()).isEqualTo(200);
    JsonNode json = Json.MAPPER.readTree(found.body());
    assertThat(json.get("id").asText()).isEqualTo(id);
    assertThat(json.get("uri").asText()).isEqualTo("sandbox://acc_1/" + id);
    assertThat(json.get("publishedAt").asText()).isEqualTo("2026-03-01T12:00:00Z");
    assertThat(json.get("taskId").asText()).isEqualTo("task_1");
    assertThat(json.get("platform").asText()).isEqualTo("bluesky");
  }

  @Test
  void lookupOfAnUnknownKeyIs404NotFound() throws Exception {
    assertError(get("/v1/posts/by-key/pik_never"), 404, "not_found", "pik_never");
  }

  @Test
  void lookupTurnedOffIs501LookupDisabledEvenForAKnownKey() throws Exception {
    post("acc_1", "pik_1", BODY);
    server.faults(Faults.NONE.withLookup(false));

    assertError(get("/v1/posts/by-key/pik_1"), 501, "lookup_disabled", "without a lookup");
    assertError(get("/v1/posts/by-key/pik_never"), 501, "lookup_disabled", "without a lookup");
  }

  @Test
  void errorRateOneAnswers500AndSavesNothing() throws Exception {
    server.faults(Faults.NONE.withErrorRate(1));

    assertError(post("acc_1", "pik_1", BODY), 500, "internal_error", "nothing was saved");
    assertError(get("/v1/posts/by-key/pik_1"), 404, "not_found", "pik_1");
    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
  }

  @Test
  void rateLimitRateOneAnswers429WithRetryAfterAndSavesNothing() throws Exception {
    server.faults(Faults.NONE.withRateLimitRate(1));

    HttpResponse<String> response = post("acc_1", "pik_1", BODY);

    assertError(response, 429, "rate_limited", "retry in 1 s");
    assertThat(response.headers().firstValue("Retry-After")).contains("1");
    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
  }

  /**
   * The case that makes a naive retry double-post: the platform saved the post and the client never
   * heard. Only the idempotency key keeps the retry from posting again.
   */
  @Test
  void hangupSavesThePostDropsTheConnectionAndARetryWithTheSameKeyIsReplayed() throws Exception {
    server.faults(Faults.NONE.withHangupRate(1));

    assertThatThrownBy(() -> post("acc_1", "pik_1", BODY)).isInstanceOf(IOException.class);

    List<AcceptedPost> saved = SandboxPlatform.readPosts(dir);
    assertThat(saved).hasSize(1);
    assertThat(saved.get(0).platformIdempotencyKey()).isEqualTo("pik_1");

    server.faults(Faults.NONE);
    HttpResponse<String> retry = post("acc_1", "pik_1", BODY);

    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(Json.MAPPER.readTree(retry.body()).get("id").asText())
        .isEqualTo(saved.get(0).postId());
    assertThat(Files.readAllLines(dir.resolve(SandboxPlatform.POSTS_FILE))).hasSize(1);
  }

  @Test
  void latencyDelaysPostsAndLookups() throws Exception {
    Duration latency = Duration.ofMillis(300);
    List<Duration> delays = new CopyOnWriteArrayList<>();
    server.close();
    server =
        SandboxServer.start(
            new SandboxPlatform(dir, CLOCK), "127.0.0.1", 0, Faults.NONE, delays::add);
    server.faults(Faults.NONE.withLatency(latency));

    assertThat(post("acc_1", "pik_1", BODY).statusCode()).isEqualTo(201);
    assertThat(delays).as("the post waited the latency before answering").containsExactly(latency);
    assertThat(get("/v1/posts/by-key/pik_1").statusCode()).isEqualTo(200);
    assertThat(delays).as("so did the lookup").containsExactly(latency, latency);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(delays).as("faults apply to posts and lookups only").hasSize(2);
  }

  @Test
  void statsCountRequestsPostsReplaysAndEachInjectedFault() throws Exception {
    post("acc_1", "pik_1", BODY); // accepted
    post("acc_1", "pik_1", BODY); // replay
    post("acc_1", "pik_bad", "{}"); // 400: a request, nothing else
    server.faults(Faults.NONE.withErrorRate(1));
    post("acc_1", "pik_2", BODY);
    server.faults(Faults.NONE.withRateLimitRate(1));
    post("acc_1", "pik_2", BODY);
    server.faults(Faults.NONE.withHangupRate(1));
    assertThatThrownBy(() -> post("acc_1", "pik_2", BODY)).isInstanceOf(IOException.class);
    server.faults(Faults.NONE);
    get("/v1/posts/by-key/pik_2");
    get("/healthz");

    assertThat(server.stats()).isEqualTo(new SandboxServer.Stats(8, 2, 1, 1, 1, 1));
  }

  @Test
  void sameSeedDrawsTheSameFaultsAndANewFaultsValueRestartsTheDraws() throws Exception {
    Faults half = Faults.NONE.withErrorRate(0.5).withSeed(42);
    server.faults(half);
    List<Integer> first = statuses("a");
    server.faults(half);
    List<Integer> second = statuses("b");

    assertThat(first).containsOnly(201, 500).contains(201, 500).isEqualTo(second);
  }

  @Test
  void twentyConcurrentPostsOfOneKeySaveExactlyOneLine() throws Exception {
    int threads = 20;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      calls.add(
          () -> {
            go.await();
            return post("acc_1", "pik_shared", BODY);
          });
    }
    List<HttpResponse<String>> answers = new ArrayList<>();
    try {
      List<Future<HttpResponse<String>>> futures = new ArrayList<>();
      for (Callable<HttpResponse<String>> call : calls) {
        futures.add(pool.submit(call));
      }
      go.countDown();
      for (Future<HttpResponse<String>> f : futures) {
        answers.add(f.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(answers).extracting(HttpResponse::statusCode).containsOnly(200, 201);
    assertThat(answers).filteredOn(r -> r.statusCode() == 201).hasSize(1);
    assertThat(answers)
        .extracting(r -> Json.MAPPER.readTree(r.body()).get("id").asText())
        .containsOnly(SandboxPlatform.readPosts(dir).get(0).postId());
    assertThat(Files.readAllLines(dir.resolve(SandboxPlatform.POSTS_FILE))).hasSize(1);
    assertThat(server.stats().postsAccepted()).isEqualTo(1);
    assertThat(server.stats().replays()).isEqualTo(threads - 1);
  }

  @Test
  void unknownRoutesAndWrongMethodsAreJsonErrors() throws Exception {
    assertError(get("/v2/nothing"), 404, "no_route", "GET /v2/nothing");
    HttpResponse<String> wrongMethod = get("/v1/accounts/acc_1/posts");
    assertError(wrongMethod, 405, "method_not_allowed", "takes POST, not GET");
    assertThat(wrongMethod.headers().firstValue("Allow")).contains("POST");
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void faultsRejectRatesOutsideZeroToOneAndASumAboveOneNamingTheValues() {
    assertThatThrownBy(() -> Faults.NONE.withErrorRate(1.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("errorRate must be between 0 and 1, got 1.5");
    assertThatThrownBy(() -> Faults.NONE.withHangupRate(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hangupRate must be between 0 and 1, got NaN");
    assertThatThrownBy(() -> Faults.NONE.withRateLimitRate(-0.1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rateLimitRate must be between 0 and 1, got -0.1");
    assertThatThrownBy(() -> Faults.NONE.withErrorRate(0.5).withHangupRate(0.6))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be at most 1, got 0.5 + 0.0 + 0.6");
    assertThatThrownBy(() -> Faults.NONE.withLatency(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latency must not be negative, got PT-0.001S");
  }

  private List<Integer> statuses(String prefix) throws Exception {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      statuses.add(post("acc_1", prefix + i, BODY).statusCode());
    }
    return statuses;
  }

  private HttpResponse<String> post(String accountId, String key, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(server.uri().resolve("/v1/accounts/" + accountId + "/posts"))
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(server.uri() + path)).GET().build());
  }

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private void assertBodyError(String body, String message) throws Exception {
    HttpResponse<String> response = post("acc_1", "k", body);
    assertThat(response.statusCode()).as(body).isEqualTo(400);
    JsonNode error = Json.MAPPER.readTree(response.body()).get("error");
    assertThat(error.get("code").asText()).as(body).isEqualTo("invalid_body");
    assertThat(error.get("message").asText()).as(body).isEqualTo(message);
  }

  private static void assertError(
      HttpResponse<String> response, int status, String code, String messagePart)
      throws IOException {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type"))
        .contains("application/json; charset=utf-8");
    JsonNode error = Json.MAPPER.readTree(response.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo(code);
    assertThat(error.get("message").asText()).contains(messagePart);
  }
}

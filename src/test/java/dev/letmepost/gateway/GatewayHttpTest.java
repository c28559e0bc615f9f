package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.client.Answer;
import dev.letmepost.command.Limits;
import dev.letmepost.ledger.BatchView;
import dev.letmepost.ledger.RequestView;
import dev.letmepost.wire.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every route and error of the gateway over real HTTP (Javalin on a free port, {@link
 * java.net.http.HttpClient}), against a {@link FakeLedger}: status, headers and exact bodies.
 */
class GatewayHttpTest {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");
  static final String ALICE_KEY = "lmp_live_aliceAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  static final String BOB_KEY = "lmp_live_bobBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
  static final String REVOKED_KEY = "lmp_live_revokedRRRRRRRRRRRRRRRRRRRRRRRRRR";
  static final String BODY =
      "{ \"targets\": [ {\"accountId\": \"acc_1\"} ],\n  \"text\": \"shipped\" }";
  static final String ENVELOPE =
      "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"published\",\"results\":[]}";
  static final String UNAUTHORIZED =
      "{\"error\":{\"code\":\"unauthorized\",\"message\":\"a valid API key is required:"
          + " Authorization: Bearer <api key>\"}}";

  final HttpClient client = HttpClient.newHttpClient();
  final List<Gateway> gateways = new ArrayList<>();
  FakeLedger ledger;
  Gateway gateway;
  URI base;

  @BeforeEach
  void setUp() {
    ledger = new FakeLedger();
    gateway = start(ledger, GatewayConfig.defaults().withAnswerTimeout(Duration.ofSeconds(5)));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  @AfterEach
  void tearDown() {
    gateways.forEach(Gateway::close);
  }

  Gateway start(FakeLedger fake, GatewayConfig config) {
    Gateway g =
        new Gateway(config, Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateways.add(g);
    g.attach(new Gateway.Backend(registry(), () -> true, fake, fake));
    return g;
  }

  static ApiKeyRegistry registry() {
    ApiKeyRegistry keys = new ApiKeyRegistry();
    keys.put(ApiKeys.hash(ALICE_KEY), ApiKeyRecord.active("key_alice", T0));
    keys.put(ApiKeys.hash(BOB_KEY), ApiKeyRecord.active("key_bob", T0));
    keys.put(
        ApiKeys.hash(REVOKED_KEY), ApiKeyRecord.active("key_alice", T0).revoked(T0.plusSeconds(1)));
    return keys;
  }

  static Answer answer(
      FakeLedger.Submitted s, int status, boolean replayed, String batchId, String body) {
    return new Answer(
        s.requestId(),
        status,
        replayed,
        s.idempotencyKey(),
        batchId,
        "2026-11-30T12:00:00.000Z",
        body.getBytes(StandardCharsets.UTF_8));
  }

  HttpRequest.Builder post(String key, String body) {
    return post(base, key, body);
  }

  /**
   * Alice's {@code POST /v1/posts} of {@code body} to the gateway at {@code base}; key null: none.
   */
  static HttpRequest.Builder post(URI base, String key, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve("/v1/posts"))
            .header("Authorization", "Bearer " + ALICE_KEY)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    return b;
  }

  HttpRequest.Builder get(String path, String apiKey) {
    return HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + apiKey);
  }

  HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  static BatchView view(String principal, String key, boolean answered) {
    return new BatchView(
        "batch_1",
        "req_first",
        principal,
        key,
        Gateway.fingerprint(principal, key == null ? "none" : key),
        dev.letmepost.command.Hashing.sha256Hex(BODY.getBytes(StandardCharsets.UTF_8)),
        T0.minusSeconds(60),
        T0.minusSeconds(60).plus(Duration.ofHours(24)),
        answered ? "published" : "running",
        answered ? 201 : null,
        answered ? ByteString.copyOf(ENVELOPE.getBytes(StandardCharsets.UTF_8)) : null,
        ByteString.copyOf(ENVELOPE.getBytes(StandardCharsets.UTF_8)));
  }

  // ---- health ----

  @Test
  void healthzIsAlwaysOk() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/healthz")));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"status\":\"ok\"}");
  }

  @Test
  void readyzIsReadyOnlyWhileTheLedgerRuns() throws Exception {
    HttpResponse<String> ready = send(HttpRequest.newBuilder(base.resolve("/readyz")));
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");

    ledger.running = false;
    HttpResponse<String> notReady = send(HttpRequest.newBuilder(base.resolve("/readyz")));
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(notReady.body())
        .isEqualTo("{\"status\":\"not_ready\",\"reason\":\"the ledger is not RUNNING\"}");
  }

  @Test
  void unattachedGatewayIsNotReadyAndAnswers503() throws Exception {
    Gateway bare =
        new Gateway(GatewayConfig.defaults(), Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateways.add(bare);
    URI b = URI.create("http://127.0.0.1:" + bare.port());
    HttpResponse<String> ready = send(HttpRequest.newBuilder(b.resolve("/readyz")));
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body())
        .isEqualTo("{\"status\":\"not_ready\",\"reason\":\"the gateway is starting\"}");
    HttpResponse<String> post =
        send(
            HttpRequest.newBuilder(b.resolve("/v1/posts"))
                .POST(HttpRequest.BodyPublishers.ofString(BODY)));
    assertThat(post.statusCode()).isEqualTo(503);
    assertThat(header(post, "Retry-After")).isEqualTo("1");
    assertThat(post.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"ledger_unavailable\",\"message\":\"the gateway is starting\"}}");
  }

  @Test
  void metricsCountRequestsByStatusReplaysConflictsOutcomesAndWaiters() throws Exception {
    ledger.answers =
        s ->
            s.idempotencyKey().equals("K-conflict")
                ? answer(
                    s,
                    422,
                    false,
                    null,
                    "{\"error\":{\"code\":\"idempotency_conflict\",\"message\":\"m\"}}")
                : answer(
                    s,
                    201,
                    s.idempotencyKey().equals("K-replay"),
                    "batch_1",
                    "{\"id\":\"batch_1\",\"results\":[{\"platform\":\"bluesky\",\"status\":\"published\"}]}");
    send(post("K-new", BODY));
    send(post("K-replay", BODY));
    send(post("K-conflict", BODY));
    send(post("K-new", BODY).setHeader("Content-Type", "text/plain"));

    HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/metrics")));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "Content-Type")).startsWith("text/plain");
    assertThat(r.body())
        .contains(
            "lmp_gateway_http_requests_seconds_count{method=\"POST\",route=\"/v1/posts\",status=\"201\"} 2",
            "lmp_gateway_http_requests_seconds_count{method=\"POST\",route=\"/v1/posts\",status=\"422\"} 1",
            "lmp_gateway_http_requests_seconds_count{method=\"POST\",route=\"/v1/posts\",status=\"415\"} 1",
            "lmp_gateway_replays_total{source=\"kafka\"} 1.0",
            "lmp_gateway_conflicts_total{code=\"idempotency_conflict\"} 1.0",
            "lmp_gateway_target_outcomes_total{platform=\"bluesky\",status=\"published\"} 1.0",
            "lmp_gateway_waiters 0.0",
            "lmp_gateway_post_latency_seconds_bucket{source=\"kafka\",le=");
  }

  // ---- POST /v1/posts ----

  @Test
  void postProducesTheCommandAndAnswersWithTheLedgersStatusBytesAndHeaders() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> r = send(post("01HY6X4AWBJM2K9F2PTQMRD9JQ", BODY));

    assertThat(ledger.submitted).hasSize(1);
    FakeLedger.Submitted s = ledger.submitted.get(0);
    assertThat(s.principal()).isEqualTo("key_alice");
    assertThat(s.idempotencyKey()).isEqualTo("01HY6X4AWBJM2K9F2PTQMRD9JQ");
    assertThat(new String(s.body(), StandardCharsets.UTF_8)).isEqualTo(BODY);
    assertThat(s.requestId()).matches("req_[0-9a-f-]{36}");
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.body()).isEqualTo(ENVELOPE);
    assertThat(header(r, "Content-Type")).isEqualTo("application/json");
    assertThat(header(r, "Idempotent-Replayed")).isEqualTo("false");
    assertThat(header(r, "Idempotency-Key")).isEqualTo("01HY6X4AWBJM2K9F2PTQMRD9JQ");
    assertThat(header(r, "Idempotency-Key-Expires")).isEqualTo("2026-11-30T12:00:00.000Z");
    assertThat(header(r, "Lmp-Request-Id")).isEqualTo(s.requestId());
    assertThat(header(r, "Lmp-Batch-Id")).isEqualTo("batch_1");
  }

  @Test
  void postWithoutKeyHasNoKeyHeaderAndIsNeverCoalesced() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);
    HttpResponse<String> r = send(post(null, BODY));
    send(post(null, BODY));
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(header(r, "Idempotency-Key")).isNull();
    assertThat(ledger.submitted).hasSize(2);
    assertThat(ledger.submitted).allSatisfy(s -> assertThat(s.idempotencyKey()).isNull());
  }

  @Test
  void ledgerErrorsArePassedThroughUnchanged() throws Exception {
    String conflict =
        "{\"error\":{\"code\":\"idempotency_conflict\",\"message\":\"Idempotency-Key 'K' was first used"
            + " with a different request body\"}}";
    String preflight =
        "{\"error\":{\"code\":\"preflight_failed\",\"message\":\"the request body failed validation (1 error)\","
            + "\"errors\":[{\"field\":\"targets\",\"code\":\"empty_batch\",\"message\":\"m\"}]}}";
    ledger.answers =
        s ->
            s.idempotencyKey().equals("K")
                ? answer(s, 422, false, null, conflict)
                : answer(s, 400, false, null, preflight);

    HttpResponse<String> c = send(post("K", BODY));
    HttpResponse<String> p = send(post("K2", "{\"targets\":[]}"));

    assertThat(c.statusCode()).isEqualTo(422);
    assertThat(c.body()).isEqualTo(conflict);
    assertThat(header(c, "Idempotent-Replayed")).isEqualTo("false");
    assertThat(header(c, "Lmp-Batch-Id")).isNull();
    assertThat(p.statusCode()).isEqualTo(400);
    assertThat(p.body()).isEqualTo(preflight);
  }

  @Test
  void missingMalformedUnknownAndRevokedKeysAllGetTheSame401() throws Exception {
    List<HttpRequest.Builder> attempts =
        List.of(
            HttpRequest.newBuilder(base.resolve("/v1/posts"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)),
            post("K", BODY).setHeader("Authorization", "Basic " + ALICE_KEY),
            post("K", BODY).setHeader("Authorization", "Bearer lmp_live_nobodyNNNNNNNNNNNNNNNNNNN"),
            post("K", BODY).setHeader("Authorization", "Bearer " + REVOKED_KEY),
            get("/v1/batches/batch_1", "lmp_live_nobodyNNNNNNNNNNNNNNNNNNN"),
            get("/v1/requests/req_1", REVOKED_KEY),
            get("/v1/idempotency-keys/K", "nope"));
    for (HttpRequest.Builder a : attempts) {
      HttpResponse<String> r = send(a);
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.body()).isEqualTo(UNAUTHORIZED);
      assertThat(header(r, "WWW-Authenticate")).isEqualTo("Bearer");
      assertThat(header(r, "Content-Type")).isEqualTo("application/json");
    }
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void invalidIdempotencyKeysAre400NamingTheProblem() throws Exception {
    HttpResponse<String> empty = send(post("", BODY));
    HttpResponse<String> tooLong = send(post("k".repeat(129), BODY));
    HttpResponse<String> nonPrintable = raw(ALICE_KEY, "Idempotency-Key: ab\tc\r\n", BODY);
    HttpResponse<String> twice = send(post("K1", BODY).header("Idempotency-Key", "K2"));

    assertThat(empty.statusCode()).isEqualTo(400);
    assertThat(empty.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"invalid_idempotency_key\",\"message\":\"Idempotency-Key must not be empty\"}}");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"invalid_idempotency_key\",\"message\":\"Idempotency-Key must be at most"
                + " 128 characters, got 129\"}}");
    assertThat(nonPrintable.statusCode()).isEqualTo(400);
    assertThat(nonPrintable.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"invalid_idempotency_key\",\"message\":\"Idempotency-Key must be printable"
                + " ASCII; character 2 is U+0009\"}}");
    assertThat(twice.statusCode()).isEqualTo(400);
    assertThat(twice.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"invalid_idempotency_key\",\"message\":\"Idempotency-Key must be sent once,"
                + " got 2 values\"}}");
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void maxLengthPrintableKeyIsAccepted() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);
    String key = "~".repeat(64) + " ".repeat(0) + "!".repeat(64);
    assertThat(send(post(key, BODY)).statusCode()).isEqualTo(201);
    assertThat(ledger.submitted.get(0).idempotencyKey()).isEqualTo(key);
  }

  @Test
  void nonJsonContentTypeIs415() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);
    HttpResponse<String> text = send(post("K", BODY).setHeader("Content-Type", "text/plain"));
    HttpResponse<String> none =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/posts"))
                .header("Authorization", "Bearer " + ALICE_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(BODY)));
    HttpResponse<String> withCharset =
        send(post("K", BODY).setHeader("Content-Type", "Application/JSON; charset=utf-8"));

    assertThat(text.statusCode()).isEqualTo(415);
    assertThat(text.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"unsupported_media_type\",\"message\":\"Content-Type must be"
                + " application/json, got 'text/plain'\"}}");
    assertThat(none.statusCode()).isEqualTo(415);
    assertThat(none.body()).contains("got none");
    assertThat(withCharset.statusCode()).as("parameters and case do not matter").isEqualTo(201);
    assertThat(ledger.submitted).hasSize(1);
  }

  @Test
  void bodyOverTheLimitIs413AndNothingIsProduced() throws Exception {
    FakeLedger small = new FakeLedger();
    small.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);
    Gateway g = start(small, GatewayConfig.defaults().withMaxBodyBytes(100));
    base = URI.create("http://127.0.0.1:" + g.port());

    HttpResponse<String> over = send(post("K", "{\"text\":\"" + "x".repeat(100) + "\"}"));
    HttpResponse<String> at = send(post("K", " ".repeat(100)));

    assertThat(over.statusCode()).isEqualTo(413);
    assertThat(over.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request body is larger than the"
                + " limit of 100 bytes\"}}");
    assertThat(at.statusCode()).isEqualTo(201);
    assertThat(small.submitted).hasSize(1);
  }

  /** A JSON body of exactly {@code bytes} bytes. */
  static String bodyOf(int bytes) {
    String head = "{\"targets\":[{\"accountId\":\"acc_1\"}],\"text\":\"";
    String tail = "\"}";
    return head + "x".repeat(bytes - head.length() - tail.length()) + tail;
  }

  /**
   * A body of exactly 1,048,576 bytes used to pass the default limit (1 MiB) and was produced;
   * Kafka refused the record as too large and the gateway answered {@code 503 Retry-After: 1}, so
   * the client retried forever. The default limit is now {@link Limits#MAX_BODY_BYTES}.
   */
  @Test
  void oneMebibyteBodyIs413UnderTheDefaultLimitNotA503ToRetry() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> r = send(post("K", bodyOf(1_048_576)));

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(header(r, "Retry-After")).isNull();
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request body is larger than the"
                + " limit of "
                + Limits.MAX_BODY_BYTES
                + " bytes\"}}");
    assertThat(ledger.submitted).as("nothing produced").isEmpty();
  }

  /** A chunked body declares no length: it is cut off at the limit all the same. */
  @Test
  void chunkedBodyOverTheLimitIs413() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);
    byte[] big = bodyOf(Limits.MAX_BODY_BYTES + 1).getBytes(StandardCharsets.UTF_8);

    HttpResponse<String> r =
        send(
            post("K", BODY)
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big))));

    assertJsonError(r, 413, "body_too_large");
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void bodyOfExactlyTheDefaultLimitIsAccepted() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> r = send(post("K", bodyOf(Limits.MAX_BODY_BYTES)));

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(ledger.submitted).hasSize(1);
    assertThat(ledger.submitted.get(0).body()).hasSize(Limits.MAX_BODY_BYTES);
  }

  @Test
  void configuredLimitAboveTheCeilingIsRefusedNamingValueAndCeiling() {
    assertThatThrownBy(() -> GatewayConfig.defaults().withMaxBodyBytes(1_048_576))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1048576")
        .hasMessageContaining(Integer.toString(Limits.MAX_BODY_BYTES));
  }

  /** The post waiting for its answer fails with {@code failure} from the producer. */
  HttpResponse<String> postFailingWith(Throwable failure) throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<HttpResponse<String>> call = pool.submit(() -> send(post(null, BODY)));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> !ledger.pending.isEmpty());
      ledger.pending.values().iterator().next().completeExceptionally(failure);
      return call.get();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * RecordTooLargeException was mapped to {@code 503 Retry-After: 1}: the same request fails the
   * same way on every retry. It is a {@code 413} naming the problem.
   */
  @Test
  void recordTooLargeFromTheProducerIs413NotA503ToRetry() throws Exception {
    HttpResponse<String> r =
        postFailingWith(
            new org.apache.kafka.common.errors.RecordTooLargeException(
                "The message is 1048700 bytes when serialized which is larger than 1048576"));

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(header(r, "Retry-After")).isNull();
    assertThat(r.body())
        .startsWith(
            "{\"error\":{\"code\":\"record_too_large\",\"message\":\"Kafka refused the command")
        .contains("The message is 1048700 bytes");
  }

  @Test
  void nonRetriableProducerErrorIs500AndOnlyARetriableOneIs503() throws Exception {
    HttpResponse<String> denied =
        postFailingWith(
            new org.apache.kafka.common.errors.TopicAuthorizationException("lmp.commands denied"));
    HttpResponse<String> transient_ =
        postFailingWith(
            new org.apache.kafka.common.errors.NotEnoughReplicasException("1 of 3 in sync"));

    assertThat(denied.statusCode()).isEqualTo(500);
    assertThat(header(denied, "Retry-After")).isNull();
    assertThat(denied.body())
        .startsWith("{\"error\":{\"code\":\"internal_error\"")
        .contains("TopicAuthorizationException: lmp.commands denied");
    assertThat(transient_.statusCode()).isEqualTo(503);
    assertThat(header(transient_, "Retry-After")).isEqualTo("1");
    assertThat(transient_.body()).contains("ledger_unavailable", "NotEnoughReplicasException");
  }

  /**
   * This instance awaits its bound of answers already ({@code KafkaLedgerClient#MAX_WAITERS}): the
   * write is {@code 503} with {@code Retry-After}, not {@code 500}, as a retry can succeed once
   * answers come in; nothing was produced.
   */
  @Test
  void submitPastTheBoundOfAwaitedAnswersIs503WithRetryAfter() throws Exception {
    ledger.throwing =
        s ->
            new java.util.concurrent.RejectedExecutionException(
                "already 100000 answers awaited (the bound); retry later");

    HttpResponse<String> r = send(post("K", BODY));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(header(r, "Retry-After")).isEqualTo("1");
    assertThat(r.body()).contains("ledger_unavailable", "answers awaited (the bound)");
  }

  /**
   * A client whose submit throws (a closed producer) left the leader's flight registered: every
   * identical retry joined it and waited for an answer that never came.
   */
  @Test
  void submitThatThrowsFailsThePostAndLeavesNoFlightBehind() throws Exception {
    ledger.throwing =
        s -> new IllegalStateException("Cannot perform operation after producer has been closed");

    HttpResponse<String> first = send(post("K", BODY));
    HttpResponse<String> retry = send(post("K", BODY));

    assertThat(first.statusCode()).isEqualTo(500);
    assertThat(first.body()).contains("producer has been closed");
    assertThat(retry.statusCode()).isEqualTo(500);
    assertThat(ledger.submitted).as("the retry led its own flight").hasSize(2);
  }

  @Test
  void answerThatDoesNotComeInTimeIs202WithALocationToPoll() throws Exception {
    FakeLedger slow = new FakeLedger();
    Gateway g = start(slow, GatewayConfig.defaults().withAnswerTimeout(Duration.ofMillis(300)));
    base = URI.create("http://127.0.0.1:" + g.port());

    HttpResponse<String> r = send(post("K", BODY));

    String requestId = slow.submitted.get(0).requestId();
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(header(r, "Location")).isEqualTo("/v1/requests/" + requestId);
    assertThat(header(r, "Idempotency-Key")).isEqualTo("K");
    assertThat(r.body())
        .isEqualTo("{\"object\":\"request\",\"id\":\"" + requestId + "\",\"status\":\"pending\"}");
    assertThat(slow.pending).as("the waiter is gone after the timeout").isEmpty();
  }

  @Test
  void retryOfAnAnsweredBatchIsReplayedFromTheStoreWithoutProducing() throws Exception {
    ledger.liveByFingerprint.put(
        Gateway.fingerprint("key_alice", "K"), view("key_alice", "K", true));

    HttpResponse<String> r = send(post("K", BODY));

    assertThat(ledger.submitted).as("no Kafka round trip").isEmpty();
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.body()).isEqualTo(ENVELOPE);
    assertThat(header(r, "Idempotent-Replayed")).isEqualTo("true");
    assertThat(header(r, "Idempotency-Key")).isEqualTo("K");
    assertThat(header(r, "Idempotency-Key-Expires")).isEqualTo("2026-11-30T11:59:00.000Z");
    assertThat(header(r, "Lmp-Batch-Id")).isEqualTo("batch_1");
  }

  @Test
  void fastPathLeavesRunningChangedNearlyExpiredAndRemoteRecordsToTheLedger() throws Exception {
    ledger.answers = s -> answer(s, 409, false, null, "{}");
    String fp = Gateway.fingerprint("key_alice", "K");

    ledger.liveByFingerprint.put(fp, view("key_alice", "K", false));
    send(post("K", BODY));
    ledger.liveByFingerprint.put(fp, view("key_alice", "K", true));
    send(post("K", BODY + " "));
    BatchView v = view("key_alice", "K", true);
    ledger.liveByFingerprint.put(
        fp,
        new BatchView(
            v.batchId(),
            v.requestId(),
            v.principal(),
            v.idempotencyKey(),
            v.fingerprint(),
            v.bodySha256(),
            T0.minus(Duration.ofHours(24)).plusSeconds(60),
            T0.plusSeconds(60),
            v.state(),
            v.responseStatus(),
            v.response(),
            v.envelope()));
    send(post("K", BODY));
    ledger.liveByFingerprint.put(fp, view("key_alice", "K", true));
    ledger.owners.put(fp, URI.create("http://10.0.0.9:8080"));
    send(post("K", BODY));

    assertThat(ledger.submitted).hasSize(4);
  }

  @Test
  void concurrentIdenticalRetriesShareOneCommandAndOneAnswer() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(10);
    try {
      List<Future<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        calls.add(pool.submit((Callable<HttpResponse<String>>) () -> send(post("K", BODY))));
      }
      // every request waits: one leads the flight, nine joined it
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> metrics().contains("lmp_gateway_waiters 10.0"));
      assertThat(ledger.pending).hasSize(1);
      FakeLedger.Submitted only = ledger.submitted.get(0);
      ledger.pending.get(only.requestId()).complete(answer(only, 201, false, "batch_1", ENVELOPE));

      List<HttpResponse<String>> responses = new ArrayList<>();
      for (Future<HttpResponse<String>> f : calls) {
        responses.add(f.get());
      }
      assertThat(ledger.submitted).hasSize(1);
      assertThat(responses)
          .allSatisfy(
              r -> {
                assertThat(r.statusCode()).isEqualTo(201);
                assertThat(r.body()).isEqualTo(ENVELOPE);
                assertThat(header(r, "Lmp-Request-Id")).isEqualTo(only.requestId());
              });
      assertThat(responses)
          .extracting(r -> header(r, "Idempotent-Replayed"))
          .containsOnlyOnce("false")
          .contains("true");
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- reads ----

  @Test
  void batchIsReadForItsOwnerOnly() throws Exception {
    ledger.batches.put("batch_1", view("key_alice", "K", true));

    HttpResponse<String> own = send(get("/v1/batches/batch_1", ALICE_KEY));
    HttpResponse<String> other = send(get("/v1/batches/batch_1", BOB_KEY));
    HttpResponse<String> unknown = send(get("/v1/batches/batch_2", ALICE_KEY));

    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body()).isEqualTo(ENVELOPE);
    assertThat(header(own, "Content-Type")).isEqualTo("application/json");
    assertThat(header(own, "Lmp-Request-Id")).isEqualTo("req_first");
    assertThat(header(own, "Idempotency-Key")).isEqualTo("K");
    assertThat(header(own, "Idempotency-Key-Expires")).isEqualTo("2026-11-30T11:59:00.000Z");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"batch_not_found\",\"message\":\"no batch 'batch_1' for this API key\"}}");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo(other.body().replace("batch_1", "batch_2"));
  }

  @Test
  void requestReadsAsItsAnswerWhilePendingAs202AndForOthersAs404() throws Exception {
    ByteString env = ByteString.copyOf(ENVELOPE.getBytes(StandardCharsets.UTF_8));
    ledger.requests.put(
        "req_done",
        new RequestView(
            "req_done", "key_alice", "K", 201, true, "batch_1", T0.plusSeconds(5), env));
    ledger.requests.put(
        "req_wait",
        new RequestView("req_wait", "key_alice", null, null, false, "batch_2", null, null));

    HttpResponse<String> done = send(get("/v1/requests/req_done", ALICE_KEY));
    HttpResponse<String> wait = send(get("/v1/requests/req_wait", ALICE_KEY));
    HttpResponse<String> other = send(get("/v1/requests/req_done", BOB_KEY));

    assertThat(done.statusCode()).isEqualTo(201);
    assertThat(done.body()).isEqualTo(ENVELOPE);
    assertThat(header(done, "Idempotent-Replayed")).isEqualTo("true");
    assertThat(header(done, "Idempotency-Key")).isEqualTo("K");
    assertThat(header(done, "Idempotency-Key-Expires")).isEqualTo("2026-11-29T12:00:05.000Z");
    assertThat(header(done, "Lmp-Batch-Id")).isEqualTo("batch_1");
    assertThat(wait.statusCode()).isEqualTo(202);
    assertThat(wait.body())
        .isEqualTo(
            "{\"object\":\"request\",\"id\":\"req_wait\",\"status\":\"pending\",\"batchId\":\"batch_2\"}");
    assertThat(header(wait, "Retry-After")).isEqualTo("1");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"request_not_found\",\"message\":\"no request 'req_done' for this API key\"}}");
  }

  /**
   * A post answered {@code 202} + {@code Location} because its answer took too long read as {@code
   * 404 request_not_found} at that Location until the ledger had processed it: a client polling the
   * URL it was given was told the request does not exist.
   */
  @Test
  void requestAnswered202ReadsAsPendingUntilTheLedgerHasItThenAsItsAnswer() throws Exception {
    FakeLedger slow = new FakeLedger();
    Gateway g = start(slow, GatewayConfig.defaults().withAnswerTimeout(Duration.ofMillis(50)));
    base = URI.create("http://127.0.0.1:" + g.port());
    HttpResponse<String> accepted = send(post("K", BODY));
    assertThat(accepted.statusCode()).isEqualTo(202);
    String location = header(accepted, "Location");
    String requestId = header(accepted, "Lmp-Request-Id");

    HttpResponse<String> pending = send(get(location, ALICE_KEY));
    HttpResponse<String> other = send(get(location, BOB_KEY));
    slow.requests.put(
        requestId,
        new RequestView(
            requestId,
            "key_alice",
            "K",
            201,
            false,
            "batch_1",
            T0.plusSeconds(5),
            ByteString.copyOf(ENVELOPE.getBytes(StandardCharsets.UTF_8))));
    HttpResponse<String> done = send(get(location, ALICE_KEY));

    assertThat(pending.statusCode()).isEqualTo(202);
    assertThat(pending.body()).isEqualTo(accepted.body());
    assertThat(header(pending, "Retry-After")).isEqualTo("1");
    assertThat(header(pending, "Lmp-Request-Id")).isEqualTo(requestId);
    assertThat(header(pending, "Idempotency-Key")).isEqualTo("K");
    assertThat(other.statusCode()).as("another principal's id").isEqualTo(404);
    assertThat(other.body()).contains("request_not_found");
    assertThat(done.statusCode()).isEqualTo(201);
    assertThat(done.body()).isEqualTo(ENVELOPE);
    assertThat(header(done, "Lmp-Batch-Id")).isEqualTo("batch_1");
  }

  /**
   * A retry answered from the store by the fast path carries a fresh {@code Lmp-Request-Id} that no
   * command ever carried, so the ledger's index never has it: reading it was a 404.
   */
  @Test
  void fastPathReplayIsReadableAtItsRequestId() throws Exception {
    ledger.liveByFingerprint.put(
        Gateway.fingerprint("key_alice", "K"), view("key_alice", "K", true));
    HttpResponse<String> replay = send(post("K", BODY));
    assertThat(ledger.submitted).isEmpty();
    String requestId = header(replay, "Lmp-Request-Id");

    HttpResponse<String> read = send(get("/v1/requests/" + requestId, ALICE_KEY));
    HttpResponse<String> other = send(get("/v1/requests/" + requestId, BOB_KEY));

    assertThat(read.statusCode()).isEqualTo(201);
    assertThat(read.body()).isEqualTo(ENVELOPE);
    assertThat(header(read, "Idempotent-Replayed")).isEqualTo("true");
    assertThat(header(read, "Lmp-Request-Id")).isEqualTo(requestId);
    assertThat(header(read, "Idempotency-Key")).isEqualTo("K");
    assertThat(header(read, "Lmp-Batch-Id")).isEqualTo("batch_1");
    assertThat(header(read, "Idempotency-Key-Expires")).isEqualTo("2026-11-30T11:59:00.000Z");
    assertThat(other.statusCode()).isEqualTo(404);
  }

  /**
   * A fast-path id is kept as a reference to its replay record: once the record is gone from this
   * instance, the id reads as 404 naming the batch to read instead (no copy of the answer is kept).
   */
  @Test
  void fastPathReplayWhoseRecordIsGoneReadsAs404NamingTheBatch() throws Exception {
    String fingerprint = Gateway.fingerprint("key_alice", "K");
    ledger.liveByFingerprint.put(fingerprint, view("key_alice", "K", true));
    String requestId = header(send(post("K", BODY)), "Lmp-Request-Id");
    ledger.liveByFingerprint.remove(fingerprint);

    HttpResponse<String> read = send(get("/v1/requests/" + requestId, ALICE_KEY));

    assertJsonError(read, 404, "request_not_found");
    assertThat(read.body()).contains("replayed batch 'batch_1'", "GET /v1/batches/batch_1");
  }

  /**
   * Polled through another instance, the accepting instance's own {@code 202} is an answer, but one
   * that waits while a third instance may hold the ledger's final answer.
   */
  @Test
  void requestPendingOnOneInstanceIsReadThroughAnotherWhichPrefersAFinalAnswer() throws Exception {
    FakeLedger slow = new FakeLedger();
    Gateway accepting =
        start(slow, GatewayConfig.defaults().withAnswerTimeout(Duration.ofMillis(50)));
    URI acceptingUrl = URI.create("http://127.0.0.1:" + accepting.port());
    FakeLedger third = new FakeLedger();
    URI thirdUrl = URI.create("http://127.0.0.1:" + start(third, GatewayConfig.defaults()).port());
    URI polled = base;
    base = acceptingUrl;
    String requestId = header(send(post("K", BODY)), "Lmp-Request-Id");
    base = polled;
    ledger.peers.add(acceptingUrl);
    ledger.peers.add(thirdUrl);

    HttpResponse<String> pending = send(get("/v1/requests/" + requestId, ALICE_KEY));
    third.requests.put(
        requestId,
        new RequestView(
            requestId,
            "key_alice",
            "K",
            201,
            false,
            "batch_1",
            T0.plusSeconds(5),
            ByteString.copyOf(ENVELOPE.getBytes(StandardCharsets.UTF_8))));
    HttpResponse<String> done = send(get("/v1/requests/" + requestId, ALICE_KEY));

    assertThat(pending.statusCode()).isEqualTo(202);
    assertThat(pending.body()).contains("\"id\":\"" + requestId + "\",\"status\":\"pending\"");
    assertThat(done.statusCode()).isEqualTo(201);
    assertThat(done.body()).isEqualTo(ENVELOPE);
  }

  @Test
  void idempotencyKeyReadsTheCallersOwnRecordOnly() throws Exception {
    ledger.liveByFingerprint.put(
        Gateway.fingerprint("key_alice", "K"), view("key_alice", "K", true));

    HttpResponse<String> own = send(get("/v1/idempotency-keys/K", ALICE_KEY));
    HttpResponse<String> other = send(get("/v1/idempotency-keys/K", BOB_KEY));
    HttpResponse<String> bad = send(get("/v1/idempotency-keys/" + "k".repeat(129), ALICE_KEY));

    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.body())
        .isEqualTo(
            "{\"object\":\"idempotency_key\",\"key\":\"K\",\"method\":\"POST\",\"path\":\"/v1/posts\","
                + "\"state\":\"completed\",\"requestId\":\"req_first\",\"bodySha256\":\""
                + dev.letmepost.command.Hashing.sha256Hex(BODY.getBytes(StandardCharsets.UTF_8))
                + "\",\"createdAt\":\"2026-11-29T11:59:00.000Z\",\"expiresAt\":\"2026-11-30T11:59:00.000Z\","
                + "\"responseStatus\":201,\"batch\":"
                + ENVELOPE
                + "}");
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"idempotency_key_not_found\",\"message\":\"no replay record for"
                + " Idempotency-Key 'K' of this API key\"}}");
    assertThat(bad.statusCode()).isEqualTo(400);
  }

  @Test
  void readsAreForwardedToTheInstanceThatHoldsTheData() throws Exception {
    FakeLedger remote = new FakeLedger();
    Gateway g = start(remote, GatewayConfig.defaults());
    URI remoteUrl = URI.create("http://127.0.0.1:" + g.port());
    remote.batches.put("batch_1", view("key_alice", "K", true));
    remote.liveByFingerprint.put(
        Gateway.fingerprint("key_alice", "K"), view("key_alice", "K", false));
    ledger.peers.add(remoteUrl);
    ledger.owners.put(Gateway.fingerprint("key_alice", "K"), remoteUrl);
    remote.peers.add(base);

    HttpResponse<String> batch = send(get("/v1/batches/batch_1", ALICE_KEY));
    HttpResponse<String> key = send(get("/v1/idempotency-keys/K", ALICE_KEY));
    HttpResponse<String> missing = send(get("/v1/requests/req_x", ALICE_KEY));

    assertThat(batch.statusCode()).isEqualTo(200);
    assertThat(batch.body()).isEqualTo(ENVELOPE);
    assertThat(header(batch, "Lmp-Request-Id")).isEqualTo("req_first");
    assertThat(key.statusCode()).isEqualTo(200);
    assertThat(key.body()).contains("\"state\":\"in_progress\"");
    assertThat(missing.statusCode()).as("asked everywhere once, no forwarding loop").isEqualTo(404);
  }

  static final String NOT_LOADED_401 =
      "{\"error\":{\"code\":\"unauthorized\",\"message\":\"a valid API key is required\"}}";

  /**
   * A read forwarded to a peer whose API keys were not loaded yet copied that peer's {@code 401} to
   * a caller this instance had authenticated; a {@code 503} or an unreachable peer read as {@code
   * 404}, though the data may be there. Each is now {@code 503} with {@code Retry-After}.
   */
  @Test
  void readForwardedToAPeerThatIsNotReadyIs503NeverItsUnauthorized() throws Exception {
    try (MockWebServer peer = new MockWebServer()) {
      peer.enqueue(new MockResponse().setResponseCode(401).setBody(NOT_LOADED_401));
      peer.enqueue(new MockResponse().setResponseCode(503).setHeader("Retry-After", "1"));
      peer.enqueue(new MockResponse().setResponseCode(401).setBody(NOT_LOADED_401));
      peer.start();
      URI peerUrl = URI.create(peer.url("/").toString());
      ledger.peers.add(peerUrl);
      ledger.owners.put(Gateway.fingerprint("key_alice", "K"), peerUrl);

      HttpResponse<String> unauthorized = send(get("/v1/batches/batch_9", ALICE_KEY));
      HttpResponse<String> unavailable = send(get("/v1/requests/req_9", ALICE_KEY));
      HttpResponse<String> key = send(get("/v1/idempotency-keys/K", ALICE_KEY));

      for (HttpResponse<String> r : List.of(unauthorized, unavailable, key)) {
        assertJsonError(r, 503, "ledger_unavailable");
        assertThat(header(r, "Retry-After")).isEqualTo("1");
        assertThat(r.body()).contains(peerUrl.toString());
      }
      assertThat(unauthorized.body()).contains("answered 401");
      assertThat(unavailable.body()).contains("answered 503");
      assertThat(peer.takeRequest().getHeader("Lmp-Forwarded")).isEqualTo("1");
    }
  }

  @Test
  void readForwardedToAnUnreachablePeerIs503() throws Exception {
    int closedPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      closedPort = free.getLocalPort();
    }
    ledger.peers.add(URI.create("http://127.0.0.1:" + closedPort));

    HttpResponse<String> r = send(get("/v1/batches/batch_9", ALICE_KEY));

    assertJsonError(r, 503, "ledger_unavailable");
    assertThat(header(r, "Retry-After")).isEqualTo("1");
  }

  /** The peer side: while its keys load, a key it does not know yet may be valid: 503, not 401. */
  @Test
  void gatewayWhoseKeysAreStillLoadingAnswers503ToAKeyItDoesNotKnowYet() throws Exception {
    FakeLedger starting = new FakeLedger();
    Gateway peer =
        new Gateway(GatewayConfig.defaults(), Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateways.add(peer);
    peer.attach(new Gateway.Backend(new ApiKeyRegistry(), () -> false, starting, starting));
    URI peerUrl = URI.create("http://127.0.0.1:" + peer.port());
    ledger.peers.add(peerUrl);

    HttpResponse<String> direct =
        send(
            HttpRequest.newBuilder(peerUrl.resolve("/v1/batches/batch_9"))
                .header("Authorization", "Bearer " + ALICE_KEY));
    HttpResponse<String> throughUs = send(get("/v1/batches/batch_9", ALICE_KEY));

    assertJsonError(direct, 503, "ledger_unavailable");
    assertThat(direct.body()).contains("the API keys are still loading");
    assertThat(header(direct, "Retry-After")).isEqualTo("1");
    assertJsonError(throughUs, 503, "ledger_unavailable");
    assertThat(header(throughUs, "Retry-After")).isEqualTo("1");
  }

  /** The key's owner saying it has no record for it read as 503 (the owner "did not answer"). */
  @Test
  void keyOwnersNotFoundIsPassedOnAs404() throws Exception {
    FakeLedger remote = new FakeLedger();
    URI remoteUrl =
        URI.create("http://127.0.0.1:" + start(remote, GatewayConfig.defaults()).port());
    ledger.owners.put(Gateway.fingerprint("key_alice", "K"), remoteUrl);

    HttpResponse<String> r = send(get("/v1/idempotency-keys/K", ALICE_KEY));

    assertJsonError(r, 404, "idempotency_key_not_found");
  }

  @Test
  void readWhileTheLedgersStoresAreNotQueryableIs503() throws Exception {
    FakeLedger rebalancing =
        new FakeLedger() {
          @Override
          public java.util.Optional<BatchView> batch(String batchId) {
            throw new org.apache.kafka.streams.errors.InvalidStateStoreException(
                "store batch-index is rebalancing");
          }
        };
    Gateway g = start(rebalancing, GatewayConfig.defaults());
    base = URI.create("http://127.0.0.1:" + g.port());

    HttpResponse<String> r = send(get("/v1/batches/batch_1", ALICE_KEY));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(header(r, "Retry-After")).isEqualTo("1");
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"ledger_unavailable\",\"message\":\"the ledger's stores are not"
                + " queryable right now\"}}");
  }

  /**
   * Regression (CrashMatrixIT, a broker SIGKILLed): an instance whose Kafka Streams was not running
   * answered a POST {@code 500 internal_error} ("the gateway failed: class
   * java.lang.IllegalStateException"), which a client must not retry; it is {@code 503}, retried on
   * any instance.
   */
  @Test
  void postWhileTheLedgerHereIsNotRunningIs503() throws Exception {
    FakeLedger stopped =
        new FakeLedger() {
          @Override
          public java.util.Optional<BatchView> liveRecord(String fingerprint, Instant now) {
            throw new IllegalStateException("KafkaStreams is not running. State is ERROR.");
          }
        };
    Gateway g = start(stopped, GatewayConfig.defaults());
    base = URI.create("http://127.0.0.1:" + g.port());

    HttpResponse<String> r = send(post("K", BODY));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(header(r, "Retry-After")).isEqualTo("1");
    assertThat(r.body()).contains("ledger_unavailable").contains("State is ERROR");
    assertThat(stopped.submitted).isEmpty();
  }

  @Test
  void waitersGaugeCountsRequestsWaitingForTheirAnswer() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<HttpResponse<String>> call = pool.submit(() -> send(post("K", BODY)));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> metrics().contains("lmp_gateway_waiters 1.0"));
      FakeLedger.Submitted s = ledger.submitted.get(0);
      ledger.pending.get(s.requestId()).complete(answer(s, 201, false, "batch_1", ENVELOPE));
      assertThat(call.get().statusCode()).isEqualTo(201);
      assertThat(metrics()).contains("lmp_gateway_waiters 0.0");
    } finally {
      pool.shutdownNow();
    }
  }

  String metrics() throws Exception {
    return send(HttpRequest.newBuilder(base.resolve("/metrics"))).body();
  }

  static String rawGet(String target, String... headers) {
    return "GET "
        + target
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer "
        + ALICE_KEY
        + "\r\n"
        + String.join("", headers)
        + "\r\n";
  }

  static void assertJsonError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(header(r, "Content-Type")).isEqualTo("application/json");
    assertThat(r.body()).startsWith("{\"error\":{\"code\":\"" + code + "\",\"message\":\"");
  }

  /**
   * An 8 KB {@code Idempotency-Key} got Jetty's own {@code 431} HTML page: Jetty answers it before
   * any route runs, so the gateway's handlers never saw it. Jetty's error handlers now write the
   * gateway's JSON error body.
   */
  @Test
  void headersOverTheLimitAreAJson431() throws Exception {
    HttpResponse<String> r =
        rawRequest(rawGet("/v1/batches/b", "Idempotency-Key: " + "k".repeat(8192) + "\r\n"));

    assertJsonError(r, 431, "headers_too_large");
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"headers_too_large\",\"message\":\"the request headers are larger"
                + " than the limit of 8192 bytes\"}}");
  }

  /** A key far over 128 characters, but inside the header limit, is the gateway's 400. */
  @Test
  void longIdempotencyKeyUnderTheHeaderLimitIs400InvalidIdempotencyKey() throws Exception {
    HttpResponse<String> r = send(post("k".repeat(4000), BODY));

    assertJsonError(r, 400, "invalid_idempotency_key");
    assertThat(r.body()).contains("at most 128 characters, got 4000");
  }

  /** A request line over the limit got Jetty's {@code 414} HTML page. */
  @Test
  void uriOverTheLimitIsAJson414() throws Exception {
    HttpResponse<String> r = rawRequest(rawGet("/v1/batches/" + "b".repeat(9000)));

    assertJsonError(r, 414, "uri_too_long");
    assertThat(r.body()).contains("the request line is longer than the limit of 8192 bytes");
  }

  /**
   * A path Jetty cannot decode, or that climbs above the root, got Jetty's {@code 400} HTML page.
   */
  @Test
  void badPathsAndMalformedHeadersAreAJson400() throws Exception {
    for (String request :
        List.of(
            rawGet("/v1/batches/%zz"),
            rawGet("/v1/../../etc/passwd"),
            rawGet("/v1/batches/a%00b"),
            rawGet("/v1/batches/b", "Bad Header\r\n"))) {
      HttpResponse<String> r = rawRequest(request);
      assertJsonError(r, 400, "bad_request");
      assertThat(r.body()).as(request).contains("not valid HTTP");
    }
  }

  /** Two {@code Content-Type} headers were read as the first one and accepted. */
  @Test
  void twoContentTypeHeadersAre415() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> r = raw(ALICE_KEY, "Content-Type: text/plain\r\n", BODY);

    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"unsupported_media_type\",\"message\":\"Content-Type must be sent"
                + " once, got 2 values: application/json, text/plain\"}}");
    assertThat(ledger.submitted).isEmpty();
  }

  /**
   * A request id read with control characters or over {@link Limits#MAX_REQUEST_ID_CHARS} cannot be
   * one the gateway handed out: {@code 400} naming the problem (the value cut), not a look-up.
   */
  @Test
  void requestIdOverTheLimitOrWithControlCharactersIs400() throws Exception {
    String tooLong = "r".repeat(Limits.MAX_REQUEST_ID_CHARS + 1);
    HttpResponse<String> longer = send(get("/v1/requests/" + tooLong, ALICE_KEY));
    HttpResponse<String> control = send(get("/v1/requests/req_%01x", ALICE_KEY));
    HttpResponse<String> atLimit =
        send(get("/v1/requests/" + "r".repeat(Limits.MAX_REQUEST_ID_CHARS), ALICE_KEY));

    assertJsonError(longer, 400, "invalid_request_id");
    assertThat(longer.body())
        .contains(
            "at most " + Limits.MAX_REQUEST_ID_CHARS + " characters, got 201",
            "(" + (Limits.MAX_REQUEST_ID_CHARS + 1) + " chars)");
    assertJsonError(control, 400, "invalid_request_id");
    assertThat(control.body()).contains("character 5 of", "is U+0001");
    assertThat(atLimit.statusCode()).isEqualTo(404);
  }

  /**
   * The gateway does not take a request id from the client: a {@code Lmp-Request-Id} it sends is
   * not the command's, which is always the gateway's own {@code req_<uuid>}.
   */
  @Test
  void clientSuppliedRequestIdIsNotUsed() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> r = send(post("K", BODY).header("Lmp-Request-Id", "req_mine"));

    assertThat(ledger.submitted.get(0).requestId()).matches("req_[0-9a-f-]{36}");
    assertThat(header(r, "Lmp-Request-Id")).isEqualTo(ledger.submitted.get(0).requestId());
  }

  @Test
  void unknownRouteIsAJson404() throws Exception {
    HttpResponse<String> r = send(get("/v2/nothing", ALICE_KEY));
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"route_not_found\",\"message\":\"no route for GET /v2/nothing\"}}");
  }

  /** Sends a POST over a raw socket, for header bytes java.net.http refuses to send. */
  HttpResponse<String> raw(String apiKey, String extraHeaders, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return rawRequest(
        "POST /v1/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Authorization: Bearer "
            + apiKey
            + "\r\nContent-Type: application/json\r\n"
            + extraHeaders
            + "Content-Length: "
            + b.length
            + "\r\n\r\n"
            + body);
  }

  /** Sends {@code request} as is (ISO-8859-1) over a raw socket and reads the response to EOF. */
  HttpResponse<String> rawRequest(String request) throws IOException {
    return rawRequest(base.getPort(), request);
  }

  /** {@link #rawRequest(String)} to the gateway on {@code port}. */
  static HttpResponse<String> rawRequest(int port, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(response.substring(9, 12));
      int end = response.indexOf("\r\n\r\n");
      java.util.Map<String, List<String>> headers =
          new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String line : response.substring(0, end).split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          headers
              .computeIfAbsent(line.substring(0, colon).trim(), k -> new ArrayList<>())
              .add(line.substring(colon + 1).trim());
        }
      }
      return new RawResponse(status, headers, response.substring(end + 4));
    }
  }

  private record RawResponse(
      int statusCode, java.util.Map<String, List<String>> fields, String body)
      implements HttpResponse<String> {
    @Override
    public HttpRequest request() {
      return null;
    }

    @Override
    public java.util.Optional<HttpResponse<String>> previousResponse() {
      return java.util.Optional.empty();
    }

    @Override
    public java.net.http.HttpHeaders headers() {
      return java.net.http.HttpHeaders.of(fields, (a, b) -> true);
    }

    @Override
    public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
      return java.util.Optional.empty();
    }

    @Override
    public URI uri() {
      return null;
    }

    @Override
    public HttpClient.Version version() {
      return HttpClient.Version.HTTP_1_1;
    }
  }
}

package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.ALICE_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static dev.letmepost.gateway.GatewayHttpTest.UNAUTHORIZED;
import static dev.letmepost.gateway.GatewayHttpTest.answer;
import static dev.letmepost.gateway.GatewayHttpTest.header;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.webhook.DeliveryLog;
import dev.letmepost.webhook.EndpointRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link WritePipeline} over real HTTP, on every route that writes (a post, the three batch
 * actions, a webhook endpoint's creation) and on a post's dry run: a request that fails several
 * checks is answered by the first of them in the pipeline's order (API key, {@code
 * Idempotency-Key}, the route's own check, {@code Content-Type}, body size), nothing is produced or
 * stored, and a command not answered in time is {@code 202} and reads as pending at its {@code
 * Location}.
 */
class WritePipelineTest {
  /** The gateway's body limit here; the webhook route's is its own 16 KiB. */
  static final int LIMIT = 100;

  /** A body length over both limits. */
  static final int BIG = 20_000;

  /** A path that cannot name a batch. */
  static final String NO_BATCH = "/v1/batches/" + "b".repeat(201);

  /** A route that writes: its method, and its path with a batch id that exists. */
  record Route(String method, String path, boolean takesKey, int limit) {
    /** The same route on {@code batchPath} in place of {@code /v1/batches/batch_1}. */
    String pathOn(String batchPath) {
      return path.replace("/v1/batches/batch_1", batchPath);
    }
  }

  static final Route POST = new Route("POST", "/v1/posts", true, LIMIT);
  static final Route VALIDATE = new Route("POST", "/v1/posts/validate", true, LIMIT);
  static final Route CANCEL = new Route("DELETE", "/v1/batches/batch_1", true, LIMIT);
  static final Route RESCHEDULE = new Route("PATCH", "/v1/batches/batch_1", true, LIMIT);
  static final Route RETRY = new Route("POST", "/v1/batches/batch_1/retry", true, LIMIT);
  static final Route WEBHOOK =
      new Route("POST", "/v1/webhook-endpoints", false, WebhookRoutes.MAX_BODY_BYTES);
  static final List<Route> ACTIONS = List.of(CANCEL, RESCHEDULE, RETRY);
  static final List<Route> ALL = List.of(POST, VALIDATE, CANCEL, RESCHEDULE, RETRY, WEBHOOK);

  final HttpClient client = HttpClient.newHttpClient();
  final List<Gateway> gateways = new ArrayList<>();
  final Map<String, byte[]> written = new LinkedHashMap<>();
  FakeLedger ledger;
  URI base;

  @BeforeEach
  void setUp() {
    ledger = new FakeLedger();
    ledger.answers = s -> answer(s, 200, false, "batch_1", "{\"id\":\"batch_1\"}");
    base = start(ledger, Duration.ofSeconds(5));
  }

  @AfterEach
  void tearDown() {
    gateways.forEach(Gateway::close);
  }

  URI start(FakeLedger fake, Duration answerTimeout) {
    Gateway g =
        new Gateway(
                GatewayConfig.defaults().withMaxBodyBytes(LIMIT).withAnswerTimeout(answerTimeout),
                Clock.fixed(T0, ZoneOffset.UTC),
                new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateways.add(g);
    g.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, fake, fake));
    g.attachWebhooks(
        WebhookRoutesTest.store(
            new EndpointRegistry(), new DeliveryLog(), written::put, () -> "we_1"));
    return URI.create("http://127.0.0.1:" + g.port());
  }

  /**
   * Sends {@code method path}; each of {@code apiKey}, {@code key}, {@code contentType} and {@code
   * body} is left out when null.
   */
  HttpResponse<String> send(
      String method, String path, String apiKey, String key, String contentType, String body)
      throws Exception {
    return send(
        method,
        path,
        apiKey,
        key,
        contentType,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
  }

  HttpResponse<String> send(
      String method,
      String path,
      String apiKey,
      String key,
      String contentType,
      HttpRequest.BodyPublisher body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).method(method, body);
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Sends {@code method path} over a raw socket, declaring a body of {@link #BIG} bytes but sending
   * none: a check that refuses the request before reading its body answers at once, and one that
   * read the body first would wait for it until the socket times out. (A large body actually sent
   * and left unread can have the connection reset under the answer when the server closes it.) Each
   * of {@code apiKey}, {@code key} and {@code contentType} is left out when null.
   */
  HttpResponse<String> declaring(
      String method, String path, String apiKey, String key, String contentType)
      throws IOException {
    StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    r.append("Connection: close\r\n");
    if (apiKey != null) {
      r.append("Authorization: Bearer ").append(apiKey).append("\r\n");
    }
    if (key != null) {
      r.append("Idempotency-Key: ").append(key).append("\r\n");
    }
    if (contentType != null) {
      r.append("Content-Type: ").append(contentType).append("\r\n");
    }
    r.append("Content-Length: ").append(BIG).append("\r\n\r\n");
    return GatewayHttpTest.rawRequest(base.getPort(), r.toString());
  }

  static String error(String code, String message) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}";
  }

  void assertNothingWritten() {
    assertThat(ledger.submitted).as("no command produced").isEmpty();
    assertThat(written).as("no webhook endpoint stored").isEmpty();
  }

  @Test
  void aWriteWithoutAValidApiKeyIs401WhateverElseIsWrong() throws Exception {
    for (Route r : ALL) {
      for (String apiKey : new String[] {null, "lmp_live_nope"}) {
        HttpResponse<String> resp =
            declaring(r.method(), r.pathOn(NO_BATCH), apiKey, "", "text/plain");

        assertThat(resp.statusCode()).as(r + " " + apiKey).isEqualTo(401);
        assertThat(resp.body()).isEqualTo(UNAUTHORIZED);
        assertThat(header(resp, "WWW-Authenticate")).isEqualTo("Bearer");
      }
    }
    assertNothingWritten();
  }

  @Test
  void anInvalidIdempotencyKeyIs400BeforeTheIdContentTypeAndSize() throws Exception {
    for (Route r : ALL) {
      HttpResponse<String> resp =
          declaring(r.method(), r.pathOn(NO_BATCH), ALICE_KEY, "", "text/plain");

      if (r.takesKey()) {
        assertThat(resp.statusCode()).as(r.toString()).isEqualTo(400);
        assertThat(resp.body())
            .isEqualTo(error("invalid_idempotency_key", "Idempotency-Key must not be empty"));
      } else {
        assertThat(resp.statusCode()).as("%s reads no key", r).isEqualTo(415);
      }
    }
    assertNothingWritten();
  }

  @Test
  void anIdThatCannotNameABatchIs404BeforeContentTypeAndSize() throws Exception {
    for (Route r : ACTIONS) {
      HttpResponse<String> resp =
          declaring(r.method(), r.pathOn(NO_BATCH), ALICE_KEY, "K", "text/plain");

      assertThat(resp.statusCode()).as(r.toString()).isEqualTo(404);
      assertThat(resp.body())
          .isEqualTo(
              error(
                  "batch_not_found",
                  "no batch '" + "b".repeat(64) + "...(201 chars)' for this API key"));
    }
    assertNothingWritten();
  }

  /**
   * The batch actions read the body (up to the limit) before they looked at its {@code
   * Content-Type}: a non-JSON body over the limit was {@code 413} on {@code PATCH}, {@code DELETE}
   * and {@code .../retry} where a post answers {@code 415}, and a non-JSON body under the limit was
   * read whole only to be refused. Every write route now refuses on its headers before it reads a
   * byte of the body.
   */
  @Test
  void aNonJsonBodyOverTheLimitIs415OnEveryWriteRouteNot413() throws Exception {
    for (Route r : ALL) {
      HttpResponse<String> resp = declaring(r.method(), r.path(), ALICE_KEY, "K", "text/plain");

      assertThat(resp.statusCode()).as(r.toString()).isEqualTo(415);
      assertThat(resp.body())
          .isEqualTo(
              error(
                  "unsupported_media_type",
                  "Content-Type must be application/json, got 'text/plain'"));
    }
    assertNothingWritten();
  }

  @Test
  void twoContentTypesAre415OnEveryWriteRouteEvenWithoutABody() throws Exception {
    for (Route r : ALL) {
      HttpResponse<String> resp =
          client.send(
              HttpRequest.newBuilder(base.resolve(r.path()))
                  .header("Authorization", "Bearer " + ALICE_KEY)
                  .header("Content-Type", "application/json")
                  .header("Content-Type", "text/plain")
                  .method(r.method(), HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(resp.statusCode()).as(r.toString()).isEqualTo(415);
      assertThat(resp.body())
          .isEqualTo(
              error(
                  "unsupported_media_type",
                  "Content-Type must be sent once, got 2 values: application/json, text/plain"));
    }
    assertNothingWritten();
  }

  @Test
  void aJsonBodyOverTheLimitIs413OnEveryWriteRoute() throws Exception {
    for (Route r : ALL) {
      HttpResponse<String> resp =
          declaring(r.method(), r.path(), ALICE_KEY, "K", "application/json");

      assertThat(resp.statusCode()).as(r.toString()).isEqualTo(413);
      assertThat(resp.body())
          .isEqualTo(
              error(
                  "body_too_large",
                  "the request body is larger than the limit of " + r.limit() + " bytes"));
    }
    assertNothingWritten();
  }

  /**
   * A cancel or retry needs a {@code Content-Type} only with a body: none sent (no length, a zero
   * length, or an empty chunked body) is a command with an empty body; any byte sent, declared or
   * chunked, is {@code 415} without one.
   */
  @Test
  void cancelAndRetryNeedAContentTypeOnlyWhenABodyIsSent() throws Exception {
    for (Route r : List.of(CANCEL, RETRY)) {
      assertThat(send(r.method(), r.path(), ALICE_KEY, null, null, (String) null).statusCode())
          .isEqualTo(200);
      assertThat(send(r.method(), r.path(), ALICE_KEY, null, null, "").statusCode()).isEqualTo(200);
      assertThat(send(r.method(), r.path(), ALICE_KEY, null, null, chunked("")).statusCode())
          .as("%s with an empty chunked body", r)
          .isEqualTo(200);
      assertThat(send(r.method(), r.path(), ALICE_KEY, null, null, "{}").statusCode())
          .isEqualTo(415);
      assertThat(send(r.method(), r.path(), ALICE_KEY, null, null, chunked("{}")).statusCode())
          .as("%s with a chunked body", r)
          .isEqualTo(415);
    }
    assertThat(ledger.submitted).hasSize(6).allSatisfy(s -> assertThat(s.body()).isEmpty());
  }

  static HttpRequest.BodyPublisher chunked(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes));
  }

  /**
   * A post and an action not answered within the answer timeout end the same way: {@code 202} with
   * the {@code Location} of the request, which then reads as pending on this instance.
   */
  @Test
  void aCommandNotAnsweredInTimeIs202AndReadsAsPendingAtItsLocation() throws Exception {
    FakeLedger slow = new FakeLedger();
    base = start(slow, Duration.ofMillis(300));
    for (Route r : List.of(POST, CANCEL)) {
      HttpResponse<String> resp =
          send(r.method(), r.path(), ALICE_KEY, "K", "application/json", "{}");

      String requestId = slow.submitted.get(slow.submitted.size() - 1).requestId();
      String pending =
          "{\"object\":\"request\",\"id\":\"" + requestId + "\",\"status\":\"pending\"}";
      assertThat(resp.statusCode()).as(r.toString()).isEqualTo(202);
      assertThat(header(resp, "Location")).isEqualTo("/v1/requests/" + requestId);
      assertThat(header(resp, "Idempotency-Key")).isEqualTo("K");
      assertThat(resp.body()).isEqualTo(pending);
      HttpResponse<String> read =
          send("GET", header(resp, "Location"), ALICE_KEY, null, null, (String) null);
      assertThat(read.statusCode()).isEqualTo(202);
      assertThat(read.body()).isEqualTo(pending);
    }
    assertThat(slow.submitted).hasSize(2);
  }
}

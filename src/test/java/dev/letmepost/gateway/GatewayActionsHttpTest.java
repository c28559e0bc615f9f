package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.ALICE_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static dev.letmepost.gateway.GatewayHttpTest.UNAUTHORIZED;
import static dev.letmepost.gateway.GatewayHttpTest.answer;
import static dev.letmepost.gateway.GatewayHttpTest.header;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The batch action routes over real HTTP against a {@link FakeLedger}: the command each produces
 * (method, path, key, exact body bytes), the ledger's answer passed through unchanged (status,
 * headers, bytes, including {@code 409 batch_not_cancelable}), and what the gateway answers itself.
 */
class GatewayActionsHttpTest {
  static final String CANCELED =
      "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"canceled\",\"results\":[]}";
  static final String NOT_CANCELABLE =
      "{\"error\":{\"code\":\"batch_not_cancelable\",\"message\":\"batch 'batch_1' is running"
          + " (released to the publishers); only a scheduled batch can be canceled\"}}";

  final HttpClient client = HttpClient.newHttpClient();
  final List<Gateway> gateways = new ArrayList<>();
  FakeLedger ledger;
  URI base;

  @BeforeEach
  void setUp() {
    ledger = new FakeLedger();
    base = start(ledger, Duration.ofSeconds(5));
  }

  @AfterEach
  void tearDown() {
    gateways.forEach(Gateway::close);
  }

  URI start(FakeLedger fake, Duration answerTimeout) {
    Gateway g =
        new Gateway(
                GatewayConfig.defaults().withAnswerTimeout(answerTimeout),
                Clock.fixed(T0, ZoneOffset.UTC),
                new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateways.add(g);
    g.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, fake, fake));
    return URI.create("http://127.0.0.1:" + g.port());
  }

  HttpRequest.Builder request(String method, String path, String key, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Authorization", "Bearer " + ALICE_KEY)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    return b;
  }

  HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void cancelProducesADeleteCommandAndAnswersTheLedgersBytes() throws Exception {
    ledger.answers = s -> answer(s, 200, false, "batch_1", CANCELED);

    HttpResponse<String> r = send(request("DELETE", "/v1/batches/batch_1", "K1", null));

    assertThat(ledger.submitted).hasSize(1);
    FakeLedger.Submitted s = ledger.submitted.get(0);
    assertThat(s.method()).isEqualTo("DELETE");
    assertThat(s.path()).isEqualTo("/v1/batches/batch_1");
    assertThat(s.principal()).isEqualTo("key_alice");
    assertThat(s.idempotencyKey()).isEqualTo("K1");
    assertThat(s.body()).isEmpty();
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(CANCELED);
    assertThat(header(r, "Idempotent-Replayed")).isEqualTo("false");
    assertThat(header(r, "Idempotency-Key")).isEqualTo("K1");
    assertThat(header(r, "Lmp-Batch-Id")).isEqualTo("batch_1");
    assertThat(header(r, "Lmp-Request-Id")).isEqualTo(s.requestId());
    assertThat(header(r, "Idempotency-Key-Expires")).isEqualTo("2026-11-30T12:00:00.000Z");
  }

  @Test
  void cancelOfAReleasedBatchPassesThe409BatchNotCancelableNamingItsState() throws Exception {
    ledger.answers = s -> answer(s, 409, false, "batch_1", NOT_CANCELABLE);

    HttpResponse<String> r = send(request("DELETE", "/v1/batches/batch_1", "K1", null));

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).isEqualTo(NOT_CANCELABLE).contains("batch_not_cancelable", "running");
  }

  @Test
  void rescheduleProducesAPatchCommandWithTheBodyBytesUnchanged() throws Exception {
    String body = "{ \"scheduledAt\" : \"2026-11-29T15:00:00Z\" }";
    ledger.answers = s -> answer(s, 200, false, "batch_1", "{\"id\":\"batch_1\"}");

    HttpResponse<String> r = send(request("PATCH", "/v1/batches/batch_1", "K2", body));

    FakeLedger.Submitted s = ledger.submitted.get(0);
    assertThat(s.method()).isEqualTo("PATCH");
    assertThat(s.path()).isEqualTo("/v1/batches/batch_1");
    assertThat(new String(s.body(), StandardCharsets.UTF_8)).isEqualTo(body);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"batch_1\"}");
  }

  @Test
  void rescheduleWithoutJsonContentTypeIs415AndProducesNothing() throws Exception {
    HttpResponse<String> r =
        send(
            request("PATCH", "/v1/batches/batch_1", "K2", "{\"scheduledAt\":\"x\"}")
                .setHeader("Content-Type", "text/plain"));

    assertThat(r.statusCode()).isEqualTo(415);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"unsupported_media_type\",\"message\":\"Content-Type must be"
                + " application/json, got 'text/plain'\"}}");
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void retryProducesAPostRetryCommandAndAnswersTheNewBatch() throws Exception {
    String envelope = "{\"id\":\"batch_2\",\"status\":\"published\",\"retryOf\":\"batch_1\"}";
    ledger.answers = s -> answer(s, 201, true, "batch_2", envelope);

    HttpResponse<String> r = send(request("POST", "/v1/batches/batch_1/retry", "K3", null));

    FakeLedger.Submitted s = ledger.submitted.get(0);
    assertThat(s.method()).isEqualTo("POST");
    assertThat(s.path()).isEqualTo("/v1/batches/batch_1/retry");
    assertThat(s.body()).isEmpty();
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.body()).isEqualTo(envelope);
    assertThat(header(r, "Idempotent-Replayed")).isEqualTo("true");
    assertThat(header(r, "Lmp-Batch-Id")).isEqualTo("batch_2");
  }

  @Test
  void actionsWithoutAValidApiKeyAre401AndProduceNothing() throws Exception {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/batches/batch_1"))
                .method("DELETE", HttpRequest.BodyPublishers.noBody()));

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).isEqualTo(UNAUTHORIZED);
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void anInvalidIdempotencyKeyIs400AndProducesNothing() throws Exception {
    HttpResponse<String> r = send(request("DELETE", "/v1/batches/batch_1", "k".repeat(129), null));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"invalid_idempotency_key\",\"message\":\"Idempotency-Key must be"
                + " at most 128 characters, got 129\"}}");
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void anIdTooLongToNameABatchReadsAsAMissingBatchWithoutACommand() throws Exception {
    String id = "b".repeat(201);

    HttpResponse<String> r = send(request("POST", "/v1/batches/" + id + "/retry", null, null));

    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"batch_not_found\",\"message\":\"no batch '"
                + "b".repeat(64)
                + "...(201 chars)' for this API key\"}}");
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void anActionNotAnsweredInTimeIs202WithALocationToPoll() throws Exception {
    FakeLedger slow = new FakeLedger();
    base = start(slow, Duration.ofMillis(300));

    HttpResponse<String> r = send(request("DELETE", "/v1/batches/batch_1", "K", null));

    String requestId = slow.submitted.get(0).requestId();
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(header(r, "Location")).isEqualTo("/v1/requests/" + requestId);
    assertThat(r.body())
        .isEqualTo("{\"object\":\"request\",\"id\":\"" + requestId + "\",\"status\":\"pending\"}");
    assertThat(slow.pending).as("the waiter is gone after the timeout").isEmpty();
  }
}

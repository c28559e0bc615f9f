package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP client against a fake gateway that records every request. */
class GatewayClientTest {
  private static final String ENVELOPE =
      "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"published\","
          + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"results\":[{\"accountId\":\"acc_1\","
          + "\"platform\":\"bluesky\",\"status\":\"published\",\"postId\":\"p\",\"uri\":\"at://p\"}]}";
  private static final String PENDING =
      "{\"object\":\"request\",\"id\":\"req_1\",\"status\":\"pending\"}";
  private static final Post POST = Post.builder().account("acc_1").text("shipped").build();
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private MockWebServer gateway;
  private GatewayClient client;

  @BeforeEach
  void start() throws IOException {
    gateway = new MockWebServer();
    gateway.start();
    client = new GatewayClient(URI.create(gateway.url("/").toString()), "lmp_secret");
  }

  @AfterEach
  void stop() throws IOException {
    gateway.shutdown();
  }

  private static MockResponse answered(int status, boolean replayed, String body) {
    return new MockResponse()
        .setResponseCode(status)
        .addHeader("Content-Type", "application/json")
        .addHeader("Idempotent-Replayed", Boolean.toString(replayed))
        .addHeader("Idempotency-Key", "K-1")
        .addHeader("Idempotency-Key-Expires", "2026-11-30T12:00:00.000Z")
        .addHeader("Lmp-Request-Id", "req_1")
        .addHeader("Lmp-Batch-Id", "batch_1")
        .setBody(body);
  }

  @Test
  void aPostGoesOutWithTheKeysAndItsAnswerIsTheSameAnswerAsOverKafka() throws Exception {
    gateway.enqueue(answered(201, false, ENVELOPE));
    Answer a = client.post(POST, "K-1", DEADLINE);

    RecordedRequest r = gateway.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(r.getPath()).isEqualTo("/v1/posts");
    assertThat(r.getHeader("Authorization")).isEqualTo("Bearer lmp_secret");
    assertThat(r.getHeader("Idempotency-Key")).isEqualTo("K-1");
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(r.getBody().readByteArray()).isEqualTo(POST.toJson());

    assertThat(a)
        .isEqualTo(
            new Answer(
                "req_1",
                201,
                false,
                "K-1",
                "batch_1",
                "2026-11-30T12:00:00.000Z",
                ENVELOPE.getBytes(StandardCharsets.UTF_8)));
    assertThat(a.envelope().orElseThrow().results().get(0).uri()).isEqualTo("at://p");
  }

  @Test
  void aPendingAnswerIsPolledAtItsLocationUntilTheLedgerAnswers() throws Exception {
    gateway.enqueue(
        new MockResponse()
            .setResponseCode(202)
            .addHeader("Location", "/v1/requests/req_1")
            .addHeader("Retry-After", "0")
            .addHeader("Lmp-Request-Id", "req_1")
            .setBody(PENDING));
    gateway.enqueue(
        new MockResponse()
            .setResponseCode(202)
            .addHeader("Retry-After", "0")
            .addHeader("Location", "/v1/requests/req_1")
            .setBody(PENDING));
    gateway.enqueue(answered(207, false, ENVELOPE));

    Answer a = client.send(Request.cancel("batch_1"), "K-1", DEADLINE);
    assertThat(a.status()).isEqualTo(207);
    RecordedRequest first = gateway.takeRequest();
    assertThat(first.getMethod()).isEqualTo("DELETE");
    assertThat(first.getPath()).isEqualTo("/v1/batches/batch_1");
    for (int i = 0; i < 2; i++) {
      RecordedRequest poll = gateway.takeRequest();
      assertThat(poll.getMethod()).isEqualTo("GET");
      assertThat(poll.getPath()).isEqualTo("/v1/requests/req_1");
      assertThat(poll.getHeader("Authorization")).isEqualTo("Bearer lmp_secret");
    }
  }

  /**
   * A pending answer's {@code Location} on another host was polled with the API key: a gateway (or
   * anything between, a proxy that rewrites headers) answering {@code 202} with {@code Location:
   * http://elsewhere/...} received the caller's {@code Authorization: Bearer} there.
   */
  @Test
  void aPendingAnswersLocationOnAnotherHostIsNotPolledWithTheApiKey() throws IOException {
    try (MockWebServer elsewhere = new MockWebServer()) {
      elsewhere.start();
      String there = elsewhere.url("/v1/requests/req_1").toString();
      gateway.enqueue(
          new MockResponse()
              .setResponseCode(202)
              .addHeader("Location", there)
              .addHeader("Retry-After", "0")
              .addHeader("Lmp-Request-Id", "req_1")
              .setBody(PENDING));
      elsewhere.enqueue(answered(201, false, ENVELOPE));

      assertThatThrownBy(() -> client.post(POST, "K-1", DEADLINE))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("Location '" + there + "' is not on the gateway");
      assertThat(elsewhere.getRequestCount()).isZero();
      assertThat(gateway.getRequestCount()).isEqualTo(1);
    }
  }

  /**
   * A {@code Retry-After} given as an HTTP-date (RFC 9110 allows it; a proxy may send one) threw
   * {@link NumberFormatException} out of {@code send}, neither an answer nor an {@link
   * IOException}; a negative one polled again without any pause. Both wait the default second.
   */
  @Test
  void aRetryAfterThatIsNotSecondsWaitsOneSecondBeforeThePoll() throws Exception {
    for (String retryAfter : new String[] {"Tue, 08 Dec 2026 07:28:00 GMT", "-5"}) {
      gateway.enqueue(
          new MockResponse()
              .setResponseCode(202)
              .addHeader("Location", "/v1/requests/req_1")
              .addHeader("Retry-After", retryAfter)
              .addHeader("Lmp-Request-Id", "req_1")
              .setBody(PENDING));
      gateway.enqueue(answered(201, false, ENVELOPE));

      long started = System.nanoTime();
      Answer a = client.post(POST, "K-1", DEADLINE);

      assertThat(a.status()).as(retryAfter).isEqualTo(201);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as(retryAfter)
          .isGreaterThanOrEqualTo(Duration.ofMillis(900));
    }
  }

  @Test
  void aScheduledBatchs202IsTheAnswerNotAPendingOne() throws Exception {
    String scheduled =
        ENVELOPE.replace("\"published\",\"createdAt\"", "\"scheduled\",\"createdAt\"");
    gateway.enqueue(answered(202, false, scheduled));
    Answer a = client.post(POST, "K-1", DEADLINE);
    assertThat(a.envelope().orElseThrow().status()).isEqualTo(Envelope.BatchStatus.SCHEDULED);
    assertThat(gateway.getRequestCount()).isEqualTo(1);
  }

  @Test
  void stillPendingAtTheDeadlineIsATimeoutNamingTheRequest() {
    gateway.enqueue(
        new MockResponse()
            .setResponseCode(202)
            .addHeader("Retry-After", "1")
            .addHeader("Lmp-Request-Id", "req_1")
            .setBody(PENDING));
    assertThatThrownBy(() -> client.post(POST, "K-1", Duration.ofMillis(500)))
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("request req_1 was not answered within PT0.5S")
        .hasMessageContaining("same idempotency key");
  }

  @Test
  void aGatewayThatStallsIsCutAtTheDeadline() {
    gateway.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    long started = System.nanoTime();
    assertThatThrownBy(() -> client.post(POST, "K-1", Duration.ofMillis(300)))
        .isInstanceOf(TimeoutException.class)
        .hasMessageContaining("no answer within PT0.3S");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aBodyThatStallsIsCutAtTheDeadline() {
    gateway.enqueue(answered(201, false, ENVELOPE).throttleBody(1, 1, TimeUnit.SECONDS));
    assertThatThrownBy(() -> client.post(POST, "K-1", Duration.ofMillis(500)))
        .isInstanceOf(TimeoutException.class);
  }

  @Test
  void aBodyOverTheCapIsNotRead() {
    GatewayClient small =
        new GatewayClient(
            URI.create(gateway.url("/").toString()),
            "k",
            java.net.http.HttpClient.newHttpClient(),
            64);
    gateway.enqueue(answered(201, false, ENVELOPE));
    assertThatThrownBy(() -> small.post(POST, "K-1", DEADLINE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("larger than the limit of 64 bytes");

    Buffer chunked = new Buffer().writeUtf8(ENVELOPE);
    gateway.enqueue(new MockResponse().setResponseCode(201).setChunkedBody(chunked, 16));
    assertThatThrownBy(() -> small.post(POST, "K-1", DEADLINE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("larger than the limit of 64 bytes");
  }

  @Test
  void theGatewaysOwnErrorIsAnAnswerWithoutRequestId() throws Exception {
    gateway.enqueue(
        new MockResponse()
            .setResponseCode(401)
            .setBody("{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown API key\"}}"));
    Answer a = client.post(POST, null, DEADLINE);
    assertThat(a.status()).isEqualTo(401);
    assertThat(a.requestId()).isNull();
    assertThat(a.error().orElseThrow().code()).isEqualTo("unauthorized");
    assertThat(gateway.takeRequest().getHeader("Idempotency-Key")).isNull();
  }

  @Test
  void anUnreachableGatewayIsAnIoError() throws IOException {
    gateway.shutdown();
    assertThatThrownBy(() -> client.post(POST, "K-1", DEADLINE)).isInstanceOf(IOException.class);
  }
}

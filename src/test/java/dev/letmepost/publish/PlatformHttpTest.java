package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.letmepost.net.AddressGuard;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PlatformHttpTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);

  private MockWebServer server;

  @BeforeEach
  void setUp() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void tearDown() throws IOException {
    server.shutdown();
  }

  private static PlatformHttp http() {
    return PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK);
  }

  private HttpRequest post(String path) {
    return HttpRequest.newBuilder(URI.create(server.url(path).toString()))
        .POST(HttpRequest.BodyPublishers.ofString("{\"text\":\"hi\"}"))
        .build();
  }

  private static CallResult failure(Runnable call) {
    CallFailure failure = catchThrowableOfType(CallFailure.class, call::run);
    assertThat(failure).as("the call failed").isNotNull();
    return failure.result();
  }

  /**
   * Broke: BodyHandlers.ofString() and the request timeout (which ends at the response headers on
   * JDK 17-25): the platform answers {@code 200} with a Content-Length of 4,096 bytes, sends 16 of
   * them and stalls; the worker thread waited forever, holding the account's lane. Now the call
   * ends at the whole-call deadline (connect 500 ms + request 300 ms), Unclear: the status came,
   * the platform may have acted.
   */
  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void bodyStalledAfterTheStatusEndsAtTheDeadlineAsUnclear() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(200)
            .setBody("x".repeat(4096))
            .throttleBody(16, 1, TimeUnit.HOURS));
    PlatformHttp http = http();
    long start = System.nanoTime();

    CallResult result = failure(() -> http.send(post("/api/posts")));

    Duration took = Duration.ofNanos(System.nanoTime() - start);
    assertThat(took).isLessThan(Duration.ofSeconds(5));
    assertThat(http.deadline()).isEqualTo(Duration.ofMillis(800));
    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(result.code()).isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
    assertThat(result.message())
        .isEqualTo(
            "POST localhost answered 200 but its body did not arrive within PT0.8S, so the"
                + " platform may have acted");
  }

  /**
   * A body trickled 256 bytes per 100 ms (4,096 bytes in 1.6 s) never trips a read timeout; the
   * injected whole-call deadline (600 ms) ends it.
   */
  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void injectedDeadlineBoundsATrickledBody() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(201)
            .setBody("y".repeat(4096))
            .throttleBody(256, 100, TimeUnit.MILLISECONDS));
    PlatformHttp quick =
        new PlatformHttp(
            java.net.http.HttpClient.newHttpClient(),
            Duration.ofMillis(300),
            Duration.ofMillis(600),
            PlatformHttp.MAX_BODY_BYTES,
            null,
            CLOCK);
    assertThat(quick.deadline()).isEqualTo(Duration.ofMillis(600));
    long start = System.nanoTime();

    CallResult result = failure(() -> quick.send(post("/api/posts")));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(result.message()).contains("answered 201 but its body did not arrive within PT0.6S");
  }

  /**
   * Broke: a body was read whole into memory, so one answer of a few hundred MiB from a tenant's
   * own instance could exhaust the publisher's heap. A declared Content-Length over the cap is not
   * read at all; the call is Unclear malformed_response (the status came after the POST).
   */
  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void bodyDeclaredLargerThanTheCapIsNotReadAndIsUnclear() {
    server.enqueue(new MockResponse().setResponseCode(200).setBody("z".repeat(2 << 20)));

    CallResult result = failure(() -> http().send(post("/api/posts")));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(result.code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(result.message())
        .isEqualTo(
            "POST localhost answered 200 with a body over 1048576 bytes, not read, so the platform"
                + " may have acted");
  }

  /** A chunked body (no Content-Length) is cut off at the cap while it streams. */
  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void chunkedBodyRunningPastTheCapIsCutOffAndIsUnclear() {
    Buffer big = new Buffer().writeUtf8("w".repeat(64 * 1024));
    server.enqueue(new MockResponse().setResponseCode(500).setChunkedBody(big, 1024));
    PlatformHttp small = http().withLimits(Duration.ofSeconds(5), 4096);

    CallResult result = failure(() -> small.send(post("/api/posts")));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(result.code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(result.message()).contains("answered 500 with a body over 4096 bytes");
  }

  /** A body within the cap arrives whole, decoded in the charset its Content-Type names. */
  @Test
  void bodyWithinTheCapIsReadInItsCharset() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(200)
            .setHeader("Content-Type", "application/json; charset=ISO-8859-1")
            .setBody(
                new Buffer()
                    .write(
                        "{\"t\":\"caf\u00e9\"}"
                            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))));

    HttpResponse<String> response = http().send(post("/api/posts"));

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"t\":\"caf\u00e9\"}");
  }

  /**
   * Broke: the raw answer of the platform (an error page of a tenant's instance, an echo of the
   * request) went into the target's error in envelopes and events. Now the message says how long
   * the answer was; the body goes to the operator's log only.
   */
  @Test
  void rawAnswerBodyStaysOutOfTheResult() {
    server.enqueue(
        new MockResponse()
            .setResponseCode(502)
            .setBody("<html>internal proxy 10.1.2.3 token=abc123</html>"));
    HttpResponse<String> response = http().send(post("/api/posts"));

    CallResult result = http().commonFailure(response, "POST localhost").orElseThrow();

    assertThat(result.message())
        .isEqualTo(
            "POST localhost answered 502 after the request was sent (an answer of 49 characters,"
                + " in the publisher's log)")
        .doesNotContain("10.1.2.3")
        .doesNotContain("abc123");
  }

  /**
   * Broke: a connector called whatever URL an account named: a Mastodon instance or PDS at
   * 169.254.169.254 or 10.0.0.5 reached the cloud metadata service or an internal host. A guarded
   * client refuses the call before sending, naming the host, the address and the switch.
   */
  @Test
  void guardedCallToAPrivateAddressIsRefusedBeforeSending() {
    AddressGuard guard =
        new AddressGuard(
            AddressGuard.Policy.STRICT, host -> new InetAddress[] {address("10.0.0.5")});
    PlatformHttp http = http().withGuard(guard);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("https://pds.example/xrpc/x")).GET().build();

    CallResult result = failure(() -> http.send(request));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(result.code()).isEqualTo(ErrorCodes.ENDPOINT_NOT_ALLOWED);
    assertThat(result.message())
        .startsWith("GET pds.example refused before sending, nothing was sent: the host")
        .contains("'pds.example' resolves to 10.0.0.5: private addresses are not allowed")
        .contains("--allow-private-endpoints");
  }

  /**
   * Broke (DNS rebinding): a host checked once, when the account was registered, could resolve to
   * an internal address later. The guard resolves again before every call: the first call (loopback
   * allowed in demo mode) goes out, the second, once the host resolves to 10.0.0.7, does not.
   */
  @Test
  void everyCallChecksTheHostAgain() {
    AtomicReference<String> answer = new AtomicReference<>("127.0.0.1");
    AddressGuard guard =
        new AddressGuard(
            new AddressGuard.Policy(true, false),
            host -> new InetAddress[] {address(answer.get())});
    PlatformHttp http = http().withGuard(guard);
    server.enqueue(new MockResponse().setResponseCode(200).setBody("{}"));

    assertThat(http.send(post("/one")).statusCode()).isEqualTo(200);
    answer.set("10.0.0.7");
    CallResult second = failure(() -> http.send(post("/two")));

    assertThat(second.code()).isEqualTo(ErrorCodes.ENDPOINT_NOT_ALLOWED);
    assertThat(second.message()).contains("resolves to 10.0.0.7");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  /** With the operator's switch, a private instance is called (https still required). */
  @Test
  void allowPrivatePolicyLetsAPrivateInstanceThrough() {
    AddressGuard guard =
        new AddressGuard(
            new AddressGuard.Policy(false, true), host -> new InetAddress[] {address("127.0.0.1")});
    server.enqueue(new MockResponse().setResponseCode(200).setBody("{}"));
    PlatformHttp http = http().withGuard(guard);

    CallResult plainHttp = failure(() -> http.send(post("/one")));

    assertThat(plainHttp.message()).contains("http is allowed only to a loopback address in demo");
    assertThat(server.getRequestCount()).isZero();
    assertThat(http.unguarded().send(post("/one")).statusCode()).isEqualTo(200);
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(literal, e);
    }
  }
}

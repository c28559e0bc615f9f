package dev.letmepost.platform.bluesky;

import static dev.letmepost.platform.ConnectorTestKit.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.platform.ConnectorTestKit;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BlueskyConnectorTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String PASSWORD = "s3cr3t-value";
  private static final String HANDLE = "letmepost.bsky.social";
  private static final String DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz";
  private static final String ACCESS_1 =
      "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-one.sig";
  private static final String REFRESH_1 = "eyJ0eXAiOiJyZWZyZXNoK2p3dCJ9.refresh-one.sig";
  private static final String ACCESS_2 =
      "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJFUzI1NksifQ.access-two.sig";
  private static final String KEY = "idem-7f3a9c";
  private static final String TEXT = "Release 1.4 is out: idempotent publishing for everyone.";
  private static final Instant RECORDED = NOW.minusSeconds(60);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private MockWebServer server;
  private BlueskyConnector connector;
  private AccountAccess access;
  private String rkey;

  @BeforeEach
  void setUp() throws IOException {
    server = new MockWebServer();
    server.start();
    connector = new BlueskyConnector(http(Duration.ofSeconds(2)));
    access = accessTo(server.url("/").toString());
    rkey = RecordKeys.forTask(task());
  }

  @AfterEach
  void tearDown() throws IOException {
    server.shutdown();
  }

  // ---- record keys ----

  @Test
  void recordKeyEncodesTheSpecTidLayout() {
    assertThat(RecordKeys.tid(0, 0)).isEqualTo("2222222222222");
    // vectors of @atcute/tid: TID.create(1724171495793000, 512), TID.parse('3l25zusnsfctk')
    assertThat(RecordKeys.tid(1_724_171_495_793_000L, 512)).isEqualTo("3l25zusnsfck2");
    assertThat(RecordKeys.tid(1_724_171_495_793_000L, 816)).isEqualTo("3l25zusnsfctk");
    assertThat(RecordKeys.tid(RecordKeys.MAX_MICROS, 1023)).isEqualTo("bzzzzzzzzzzzz");
    assertThatThrownBy(() -> RecordKeys.tid(RecordKeys.MAX_MICROS + 1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(RecordKeys.MAX_MICROS + 1));
    assertThatThrownBy(() -> RecordKeys.tid(0, 1024))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1024");
  }

  @Test
  void recordKeyIsTheSameForOneTaskAndDiffersBetweenTasks() {
    String again = RecordKeys.forTask(task());
    String otherKey = RecordKeys.forTask(task("idem-other", RECORDED, List.of(), null));
    String otherTime = RecordKeys.forTask(task(KEY, RECORDED.plusMillis(1), List.of(), null));

    assertThat(rkey).isEqualTo(again).matches("[234567ab][234567abcdefghijklmnopqrstuvwxyz]{12}");
    assertThat(otherKey).isNotEqualTo(rkey);
    assertThat(otherTime).isNotEqualTo(rkey);
    assertThat(decodeMicros(rkey) / 1000).isEqualTo(RECORDED.toEpochMilli());
    assertThat(decodeMicros(otherKey) / 1000).isEqualTo(RECORDED.toEpochMilli());
  }

  // ---- publish ----

  @Test
  void opensSessionThenCreatesRecordUnderTheTaskRecordKey() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, created(rkey)));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isEqualTo(new CallResult.Published(rkey, atUri(rkey)));
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void sessionIsCachedPerAccount() throws Exception {
    PublishTask second = task("idem-second", RECORDED, List.of(), null);
    String secondKey = RecordKeys.forTask(second);
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, created(rkey)));
    server.enqueue(json(200, created(secondKey)));

    assertThat(connector.publish(task(), access)).isInstanceOf(CallResult.Published.class);
    assertThat(connector.publish(second, access))
        .isEqualTo(new CallResult.Published(secondKey, atUri(secondKey)));

    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    RecordedRequest create2 = server.takeRequest();
    assertThat(create2.getPath()).isEqualTo("/xrpc/com.atproto.repo.createRecord");
    assertThat(create2.getHeader("Authorization")).isEqualTo("Bearer " + ACCESS_1);
    assertThat(MAPPER.readTree(create2.getBody().readUtf8()).get("rkey").asText())
        .isEqualTo(secondKey);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void concurrentPublishesOfOneAccountOpenOneSession() throws Exception {
    PublishTask second = task("idem-second", RECORDED, List.of(), null);
    server.enqueue(json(200, session(ACCESS_1)).setHeadersDelay(200, TimeUnit.MILLISECONDS));
    server.enqueue(json(200, created(rkey)));
    server.enqueue(json(200, created(rkey)));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<CallResult> a = pool.submit(() -> connector.publish(task(), access));
      Future<CallResult> b = pool.submit(() -> connector.publish(second, access));

      assertThat(a.get(5, TimeUnit.SECONDS)).isInstanceOf(CallResult.Published.class);
      assertThat(b.get(5, TimeUnit.SECONDS)).isInstanceOf(CallResult.Published.class);
    } finally {
      pool.shutdownNow();
    }
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      paths.add(server.takeRequest().getPath());
    }
    assertThat(paths)
        .containsExactly(
            "/xrpc/com.atproto.server.createSession",
            "/xrpc/com.atproto.repo.createRecord",
            "/xrpc/com.atproto.repo.createRecord");
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void expiredTokenOpensANewSessionOnceAndRepeatsTheCreate() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, created(rkey)));
    assertThat(connector.publish(task(), access)).isInstanceOf(CallResult.Published.class);
    PublishTask later = task("idem-later", RECORDED, List.of(), null);
    String laterKey = RecordKeys.forTask(later);
    server.enqueue(json(400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has expired\"}"));
    server.enqueue(json(200, session(ACCESS_2)));
    server.enqueue(json(200, created(laterKey)));

    CallResult result = connector.publish(later, access);

    assertThat(result).isEqualTo(new CallResult.Published(laterKey, atUri(laterKey)));
    server.takeRequest();
    server.takeRequest();
    RecordedRequest expired = server.takeRequest();
    assertThat(expired.getHeader("Authorization")).isEqualTo("Bearer " + ACCESS_1);
    assertCreateSession(server.takeRequest());
    RecordedRequest repeated = server.takeRequest();
    assertThat(repeated.getPath()).isEqualTo("/xrpc/com.atproto.repo.createRecord");
    assertThat(repeated.getHeader("Authorization")).isEqualTo("Bearer " + ACCESS_2);
    assertThat(repeated.getBody().readUtf8()).isEqualTo(expired.getBody().readUtf8());
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  @Test
  void unauthorizedAfterANewSessionIsAccountDisconnectedWithoutLooping() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, created(rkey)));
    assertThat(connector.publish(task(), access)).isInstanceOf(CallResult.Published.class);
    String refused =
        "{\"error\":\"AuthenticationRequired\",\"message\":\"Authentication Required\"}";
    server.enqueue(json(401, refused));
    server.enqueue(json(200, session(ACCESS_2)));
    server.enqueue(json(401, refused));

    CallResult result = connector.publish(task("idem-later", RECORDED, List.of(), null), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).contains("401");
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  @Test
  void freshSessionRefusedIsNotRenewed() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(401, "{\"error\":\"InvalidToken\",\"message\":\"Bad token\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void wrongAppPasswordIsAccountDisconnected() throws Exception {
    server.enqueue(
        json(
            401,
            "{\"error\":\"AuthenticationRequired\",\"message\":\"Invalid identifier or password\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message())
        .contains(HANDLE, "401", "nothing was posted");
    assertCreateSession(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void sessionRateLimitedIsNotSentUntilRatelimitReset() throws Exception {
    server.enqueue(
        json(429, "{\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"}")
            .addHeader("ratelimit-limit", "30")
            .addHeader("ratelimit-remaining", "0")
            .addHeader("ratelimit-reset", String.valueOf(NOW.getEpochSecond() + 300))
            .addHeader("ratelimit-policy", "30;w=300"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    CallResult.NotSent notSent = (CallResult.NotSent) result;
    assertThat(notSent.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(notSent.retryAfter()).isEqualTo(Duration.ofSeconds(300));
    assertThat(notSent.message()).contains("createSession");
    assertCreateSession(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  /**
   * A {@code ratelimit-reset} beyond what an Instant holds made {@code Instant.ofEpochSecond} throw
   * a DateTimeException out of publish (only a NumberFormatException was caught, unlike X's copy of
   * the same reading), which the SPI forbids for a platform's answer: the 429 must still be NotSent
   * rate_limited, waiting Retry-After.
   */
  @Test
  void rateLimitResetOutOfRangeFallsBackToRetryAfter() throws Exception {
    server.enqueue(
        json(429, "{\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"}")
            .addHeader("ratelimit-remaining", "0")
            .addHeader("ratelimit-reset", "99999999999999999")
            .addHeader("Retry-After", "7"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    CallResult.NotSent notSent = (CallResult.NotSent) result;
    assertThat(notSent.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(notSent.retryAfter()).isEqualTo(Duration.ofSeconds(7));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void sessionServerErrorOrTimeoutIsNotSentNeverUnclear() throws Exception {
    BlueskyConnector impatient = new BlueskyConnector(http(Duration.ofMillis(300)));
    server.enqueue(json(502, "<html>Bad Gateway</html>"));
    server.enqueue(json(200, session(ACCESS_1)).setSocketPolicy(SocketPolicy.NO_RESPONSE));

    CallResult fiveHundred = impatient.publish(task(), access);
    CallResult timeout = impatient.publish(task(), access);

    assertThat(fiveHundred).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) fiveHundred).code())
        .isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(((CallResult.NotSent) fiveHundred).message()).contains("502");
    assertThat(timeout).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) timeout).code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(((CallResult.NotSent) timeout).message()).contains("nothing was posted");
    assertCreateSession(server.takeRequest());
    assertCreateSession(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void duplicateRecordKeyIsConfirmedByGetRecord() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(
        json(500, "{\"error\":\"InternalServerError\",\"message\":\"Internal Server Error\"}"));
    server.enqueue(json(200, record(rkey, TEXT)));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isEqualTo(new CallResult.Published(rkey, atUri(rkey)));
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void serverErrorWithoutTheRecordIsUnclear() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(
        json(500, "{\"error\":\"InternalServerError\",\"message\":\"Internal Server Error\"}"));
    server.enqueue(json(400, recordNotFound()));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(((CallResult.Unclear) result).message()).contains("500");
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void explicitRecordExistsAnswerIsConfirmedByGetRecord() throws Exception {
    String exists =
        "{\"error\":\"InvalidRequest\",\"message\":\"Record already exists: at://" + DID + "\"}";
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(400, exists));
    server.enqueue(json(200, record(rkey, TEXT)));
    server.enqueue(json(400, exists));
    server.enqueue(json(400, recordNotFound()));

    CallResult confirmed = connector.publish(task(), access);
    CallResult contradicted = connector.publish(task(), access);

    assertThat(confirmed).isEqualTo(new CallResult.Published(rkey, atUri(rkey)));
    assertThat(contradicted).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) contradicted).code())
        .isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) contradicted).message()).contains("getRecord finds none");
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  @Test
  void rateLimitWaitsUntilRatelimitReset() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(
        json(429, "{\"error\":\"RateLimitExceeded\",\"message\":\"Rate Limit Exceeded\"}")
            .addHeader("ratelimit-limit", "5000")
            .addHeader("ratelimit-remaining", "0")
            .addHeader("ratelimit-reset", String.valueOf(NOW.getEpochSecond() + 1234))
            .addHeader("ratelimit-policy", "5000;w=3600"));

    CallResult result = connector.publish(task(), access);

    assertThat(result)
        .isEqualTo(
            new CallResult.NotSent(
                ErrorCodes.RATE_LIMITED,
                "Bluesky com.atproto.repo.createRecord of rkey "
                    + rkey
                    + " answered 429 (ratelimit-remaining 0, ratelimit-reset "
                    + (NOW.getEpochSecond() + 1234)
                    + ") (an answer of 61 characters, in the publisher's log)",
                Duration.ofSeconds(1234)));
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void textOverTheGraphemeLimitIsTextTooLong() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(
        json(
            400,
            "{\"error\":\"InvalidRecord\",\"message\":\"Invalid app.bsky.feed.post record:"
                + " Record/text must not be longer than 300 graphemes\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
    assertThat(((CallResult.Failed) result).message()).contains("400", "t_1");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void otherInvalidRecordIsRejectedByPlatform() {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(
        json(400, "{\"error\":\"InvalidRecord\",\"message\":\"Record/langs must be an array\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
  }

  @Test
  void createRecordTimeoutIsUnclearAndReconcileFindsThePost() throws Exception {
    BlueskyConnector impatient = new BlueskyConnector(http(Duration.ofMillis(300)));
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, created(rkey)).setHeadersDelay(2, TimeUnit.SECONDS));
    server.enqueue(json(200, record(rkey, TEXT)));

    CallFailure failure =
        catchThrowableOfType(CallFailure.class, () -> impatient.publish(task(), access));
    CallResult reconciled = impatient.reconcile(task(), access);

    assertThat(failure.result()).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) failure.result()).code())
        .isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
    assertThat(reconciled).isEqualTo(new CallResult.Published(rkey, atUri(rkey)));
    assertCreateSession(server.takeRequest());
    assertCreateRecord(server.takeRequest(), ACCESS_1);
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void okWithUnreadableBodyIsUnclearMalformedResponse() {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, "<html>upstream hiccup</html>"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(((CallResult.Unclear) result).message()).doesNotContain("upstream hiccup");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void mediaOrFirstCommentFailsBeforeAnyRequest() {
    PublishTask withMedia =
        task(KEY, RECORDED, List.of(new PublishTask.Media("https://x/y.png", "alt")), null);
    PublishTask withComment = task(KEY, RECORDED, List.of(), "first!");

    CallResult media = connector.publish(withMedia, access);
    CallResult comment = connector.publish(withComment, access);

    assertThat(media).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) media).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(comment).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) comment).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(connector.reconcile(withComment, access)).isInstanceOf(CallResult.Absent.class);
    assertThat(server.getRequestCount()).isZero();
  }

  // ---- reconcile ----

  @Test
  void reconcileRecordNotFoundIsAbsent() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(400, recordNotFound()));

    CallResult result = connector.reconcile(task(), access);

    assertThat(result).isInstanceOf(CallResult.Absent.class);
    assertThat(((CallResult.Absent) result).message()).contains(rkey, DID);
    assertCreateSession(server.takeRequest());
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void reconcileLookupFailuresAreNotSent() throws Exception {
    BlueskyConnector impatient = new BlueskyConnector(http(Duration.ofMillis(300)));
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(500, "{\"error\":\"InternalServerError\"}"));
    server.enqueue(
        json(429, "{\"error\":\"RateLimitExceeded\"}")
            .addHeader("ratelimit-reset", String.valueOf(NOW.getEpochSecond() + 60)));
    server.enqueue(json(200, record(rkey, TEXT)).setSocketPolicy(SocketPolicy.NO_RESPONSE));
    server.enqueue(json(200, "{\"uri\":\"" + atUri(rkey) + "\"}"));

    List<CallResult> results = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      results.add(impatient.reconcile(task(), access));
    }

    assertThat(results).allSatisfy(r -> assertThat(r).isInstanceOf(CallResult.NotSent.class));
    assertThat(results)
        .extracting(r -> ((CallResult.NotSent) r).code())
        .containsExactly(
            ErrorCodes.PLATFORM_ERROR,
            ErrorCodes.RATE_LIMITED,
            ErrorCodes.PLATFORM_TIMEOUT,
            ErrorCodes.MALFORMED_RESPONSE);
    assertThat(((CallResult.NotSent) results.get(1)).retryAfter())
        .isEqualTo(Duration.ofSeconds(60));
    assertCreateSession(server.takeRequest());
    for (int i = 0; i < 4; i++) {
      assertGetRecord(server.takeRequest(), ACCESS_1);
    }
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  @Test
  void reconcileRecordWithOtherTextIsUnknown() {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, record(rkey, "someone else's words")));

    CallResult result = connector.reconcile(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains(atUri(rkey), "t_1", "acc_b");
  }

  @Test
  void reconcileWithRefusedCredentialsIsUnknown() throws Exception {
    server.enqueue(
        json(
            401,
            "{\"error\":\"AuthenticationRequired\",\"message\":\"Invalid identifier or password\"}"));

    CallResult result = connector.reconcile(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains("401", "acc_b");
    assertCreateSession(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void reconcileWithExpiredTokenOpensANewSession() throws Exception {
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(400, recordNotFound()));
    assertThat(connector.reconcile(task(), access)).isInstanceOf(CallResult.Absent.class);
    server.enqueue(json(400, "{\"error\":\"ExpiredToken\",\"message\":\"Token has expired\"}"));
    server.enqueue(json(200, session(ACCESS_2)));
    server.enqueue(json(200, record(rkey, TEXT)));

    CallResult result = connector.reconcile(task(), access);

    assertThat(result).isEqualTo(new CallResult.Published(rkey, atUri(rkey)));
    assertCreateSession(server.takeRequest());
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertGetRecord(server.takeRequest(), ACCESS_1);
    assertCreateSession(server.takeRequest());
    assertGetRecord(server.takeRequest(), ACCESS_2);
    assertThat(server.getRequestCount()).isEqualTo(5);
  }

  // ---- secrets ----

  @Test
  void appPasswordAndSessionTokensAppearInNoMessage() {
    String echo =
        "{\"error\":\"InvalidRequest\",\"message\":\"got password "
            + PASSWORD
            + " and token "
            + ACCESS_1
            + " refresh "
            + REFRESH_1
            + "\"}";
    List<String> messages = new ArrayList<>();
    // createSession failures: before a session exists, only the app password can be echoed
    String passwordEcho =
        "{\"error\":\"AuthenticationRequired\",\"message\":\"bad password " + PASSWORD + "\"}";
    for (int status : new int[] {400, 401, 429, 500}) {
      messages.add(run(() -> fresh().publish(task(), access), json(status, passwordEcho)));
    }
    messages.add(
        run(
            () -> fresh().publish(task(), access),
            json(
                200, "{\"accessJwt\":\"" + ACCESS_1 + "\",\"refreshJwt\":\"" + REFRESH_1 + "\"}")));
    // createRecord failures
    for (int status : new int[] {401, 403, 400, 429}) {
      messages.add(
          run(
              () -> fresh().publish(task(), access),
              json(200, session(ACCESS_1)),
              json(status, echo)));
    }
    messages.add(
        run(
            () -> fresh().publish(task(), access),
            json(200, session(ACCESS_1)),
            json(200, "token " + ACCESS_1)));
    messages.add(
        run(
            () -> fresh().publish(task(), access),
            json(200, session(ACCESS_1)),
            json(500, echo),
            json(500, echo)));
    // getRecord failures
    for (int status : new int[] {401, 404, 429, 500}) {
      messages.add(
          run(
              () -> fresh().reconcile(task(), access),
              json(200, session(ACCESS_1)),
              json(status, echo)));
    }
    messages.add(run(() -> fresh().reconcile(task(), access), json(401, passwordEcho)));
    BlueskyConnector impatient = new BlueskyConnector(http(Duration.ofMillis(300)));
    server.enqueue(json(200, session(ACCESS_1)));
    server.enqueue(json(200, created(rkey)).setSocketPolicy(SocketPolicy.NO_RESPONSE));
    messages.add(
        catchThrowableOfType(CallFailure.class, () -> impatient.publish(task(), access))
            .getMessage());

    assertThat(messages)
        .hasSize(17)
        .allSatisfy(
            m -> {
              assertThat(m).isNotBlank();
              assertThat(m).doesNotContain(PASSWORD, ACCESS_1, REFRESH_1);
            });
    assertThat(messages.get(0)).doesNotContain("[redacted]");
  }

  private String run(Supplier<CallResult> call, MockResponse... responses) {
    for (MockResponse response : responses) {
      server.enqueue(response);
    }
    return call.get().message();
  }

  private BlueskyConnector fresh() {
    return new BlueskyConnector(http(Duration.ofSeconds(2)));
  }

  // ---- fixtures ----

  private void assertCreateSession(RecordedRequest request) throws IOException {
    assertThat(request).isNotNull();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo("/xrpc/com.atproto.server.createSession");
    assertThat(request.getHeader("Authorization")).isNull();
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(MAPPER.readTree(request.getBody().readUtf8()))
        .isEqualTo(MAPPER.createObjectNode().put("identifier", HANDLE).put("password", PASSWORD));
  }

  private void assertCreateRecord(RecordedRequest request, String accessJwt) throws IOException {
    assertThat(request).isNotNull();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo("/xrpc/com.atproto.repo.createRecord");
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + accessJwt);
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    ObjectNode expected = MAPPER.createObjectNode();
    expected.put("repo", DID).put("collection", "app.bsky.feed.post").put("rkey", rkey);
    expected
        .putObject("record")
        .put("$type", "app.bsky.feed.post")
        .put("text", TEXT)
        .put("createdAt", "2026-03-01T11:59:00.000Z");
    JsonNode body = MAPPER.readTree(request.getBody().readUtf8());
    assertThat(body).isEqualTo(expected);
  }

  private void assertGetRecord(RecordedRequest request, String accessJwt) {
    assertThat(request).isNotNull();
    assertThat(request.getMethod()).isEqualTo("GET");
    assertThat(request.getRequestUrl().encodedPath()).isEqualTo("/xrpc/com.atproto.repo.getRecord");
    assertThat(request.getRequestUrl().queryParameterNames())
        .containsExactlyInAnyOrder("repo", "collection", "rkey");
    assertThat(request.getRequestUrl().queryParameter("repo")).isEqualTo(DID);
    assertThat(request.getRequestUrl().queryParameter("collection"))
        .isEqualTo("app.bsky.feed.post");
    assertThat(request.getRequestUrl().queryParameter("rkey")).isEqualTo(rkey);
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + accessJwt);
    assertThat(request.getBodySize()).isZero();
  }

  /** A createSession answer as bsky.social gives it (didDoc trimmed). */
  private static String session(String accessJwt) {
    return "{\"did\":\""
        + DID
        + "\",\"didDoc\":{\"@context\":[\"https://www.w3.org/ns/did/v1\"],\"id\":\""
        + DID
        + "\",\"alsoKnownAs\":[\"at://"
        + HANDLE
        + "\"]},\"handle\":\""
        + HANDLE
        + "\",\"email\":\"ops@letmepost.dev\",\"emailConfirmed\":true,\"emailAuthFactor\":false,"
        + "\"accessJwt\":\""
        + accessJwt
        + "\",\"refreshJwt\":\""
        + REFRESH_1
        + "\",\"active\":true}";
  }

  private static String created(String key) {
    return "{\"uri\":\""
        + atUri(key)
        + "\",\"cid\":\"bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q\","
        + "\"commit\":{\"cid\":\"bafyreibz4lrmgvhkjdvhbxuvzxcozjm6nkmwzxhh2tbtrvwzqsw6u4b6ue\","
        + "\"rev\":\"3ljm5wxtshs2e\"},\"validationStatus\":\"valid\"}";
  }

  private static String record(String key, String text) {
    return "{\"uri\":\""
        + atUri(key)
        + "\",\"cid\":\"bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q\","
        + "\"value\":{\"text\":\""
        + text
        + "\",\"$type\":\"app.bsky.feed.post\",\"createdAt\":\"2026-03-01T11:59:00.000Z\"}}";
  }

  private String recordNotFound() {
    return "{\"error\":\"RecordNotFound\",\"message\":\"Could not locate record: "
        + atUri(rkey)
        + "\"}";
  }

  private static String atUri(String key) {
    return "at://" + DID + "/app.bsky.feed.post/" + key;
  }

  private static long decodeMicros(String tid) {
    long value = 0;
    for (char c : tid.toCharArray()) {
      value = (value << 5) | RecordKeys.ALPHABET.indexOf(c);
    }
    return value >>> 10;
  }

  private static PlatformHttp http(Duration requestTimeout) {
    return PlatformHttp.create(Duration.ofMillis(500), requestTimeout, CLOCK);
  }

  private static AccountAccess accessTo(String endpoint) {
    Account account =
        new Account(
            "acc_b",
            "alice",
            "bluesky",
            HANDLE,
            Account.Status.connected,
            "env:X",
            false,
            endpoint);
    return ConnectorTestKit.access(account, PASSWORD);
  }

  private static PublishTask task() {
    return task(KEY, RECORDED, List.of(), null);
  }

  private static PublishTask task(
      String key, Instant recordedAt, List<PublishTask.Media> media, String firstComment) {
    return ConnectorTestKit.task("bluesky", "acc_b")
        .key(key)
        .text(TEXT)
        .media(media)
        .firstComment(firstComment)
        .at(recordedAt.toEpochMilli(), NOW.plusSeconds(3600).toEpochMilli())
        .build();
  }
}

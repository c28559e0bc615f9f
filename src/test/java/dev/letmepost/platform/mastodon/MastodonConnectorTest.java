package dev.letmepost.platform.mastodon;

import static dev.letmepost.platform.ConnectorTestKit.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MastodonConnectorTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String TOKEN = "s3cr3t-value";
  private static final String KEY = "idem-7f3a9c";
  private static final String TEXT = "Release 1.4 is out: idempotent publishing for everyone.";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** A Status entity as mastodon.social answers POST /api/v1/statuses, trimmed of empty lists. */
  private static final String STATUS =
      """
      {
        "id": "113927457309875309",
        "created_at": "2026-03-01T11:55:01.128Z",
        "in_reply_to_id": null,
        "in_reply_to_account_id": null,
        "sensitive": false,
        "spoiler_text": "",
        "visibility": "public",
        "language": "en",
        "uri": "https://mastodon.social/users/letmepost/statuses/113927457309875309",
        "url": "https://mastodon.social/@letmepost/113927457309875309",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": null,
        "content": "<p>Release 1.4 is out: idempotent publishing for everyone.</p>",
        "reblog": null,
        "application": {"name": "letmepost", "website": null},
        "account": {
          "id": "109354422113812345",
          "username": "letmepost",
          "acct": "letmepost",
          "display_name": "letmepost",
          "url": "https://mastodon.social/@letmepost"
        },
        "media_attachments": [],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": null,
        "poll": null
      }
      """;

  private MockWebServer server;
  private MastodonConnector connector;
  private AccountAccess access;

  @BeforeEach
  void setUp() throws IOException {
    server = new MockWebServer();
    server.start();
    connector =
        new MastodonConnector(
            PlatformHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(2), CLOCK));
    access = accessTo(server.url("/").toString());
  }

  @AfterEach
  void tearDown() throws IOException {
    server.shutdown();
  }

  @Test
  void sendsIdempotencyKeyAndBearerTokenAndPublishesTheStatus() throws Exception {
    server.enqueue(json(200, STATUS));

    CallResult result = connector.publish(task(), access);

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(
                "113927457309875309", "https://mastodon.social/@letmepost/113927457309875309"));
    assertStatusPost(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void statusWithoutUrlFallsBackToItsActivityPubUri() throws Exception {
    server.enqueue(
        json(200, "{\"id\":\"42\",\"uri\":\"https://example.social/users/a/statuses/42\"}"));

    assertThat(connector.publish(task(), access))
        .isEqualTo(new CallResult.Published("42", "https://example.social/users/a/statuses/42"));
    assertStatusPost(server.takeRequest());
  }

  @Test
  void textOverTheInstanceLimitIsTextTooLong() throws Exception {
    server.enqueue(
        json(422, "{\"error\":\"Validation failed: Text character limit of 500 exceeded\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    CallResult.Failed failed = (CallResult.Failed) result;
    assertThat(failed.code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
    assertThat(failed.message()).contains("422", "t_1");
    assertStatusPost(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void otherValidationErrorIsRejectedByPlatform() throws Exception {
    server.enqueue(json(422, "{\"error\":\"Validation failed: Text can't be blank\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) result).message()).doesNotContain("Text can't be blank");
  }

  @Test
  void revokedTokenIsAccountDisconnected() throws Exception {
    server.enqueue(json(401, "{\"error\":\"The access token was revoked\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).contains("401");
    assertStatusPost(server.takeRequest());
  }

  @Test
  void missingWriteScopeIsAccountDisconnected() throws Exception {
    server.enqueue(json(403, "{\"error\":\"This action is outside the authorized scopes\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).contains("403");
  }

  @Test
  void rateLimitWaitsUntilIsoXRateLimitReset() throws Exception {
    server.enqueue(
        json(429, "{\"error\":\"Too many requests\"}")
            .addHeader("X-RateLimit-Limit", "300")
            .addHeader("X-RateLimit-Remaining", "0")
            .addHeader("X-RateLimit-Reset", "2026-03-01T12:01:30.500000Z"));

    CallResult result = connector.publish(task(), access);

    assertThat(result)
        .isEqualTo(
            new CallResult.NotSent(
                ErrorCodes.RATE_LIMITED,
                "Mastodon POST /api/v1/statuses answered 429 Too Many Requests (X-RateLimit-Reset"
                    + " 2026-03-01T12:01:30.500000Z) (an answer of 29 characters, in the publisher's log)",
                Duration.ofMillis(90_500)));
    assertStatusPost(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void rateLimitPrefersRetryAfterOverReset() {
    server.enqueue(
        json(429, "{\"error\":\"Too many requests\"}")
            .addHeader("Retry-After", "30")
            .addHeader("X-RateLimit-Reset", "2026-03-01T12:04:00Z"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).retryAfter()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void rateLimitWithoutWaitHintHasNoRetryAfter() {
    server.enqueue(json(429, "{\"error\":\"Too many requests\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(((CallResult.NotSent) result).retryAfter()).isNull();
  }

  @Test
  void serverErrorIsUnclear() throws Exception {
    server.enqueue(json(500, "{\"error\":\"We're sorry, but something went wrong on our end.\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(((CallResult.Unclear) result).message()).contains("500");
    assertStatusPost(server.takeRequest());
  }

  @Test
  void unavailableWithRetryAfterIsNotSent() {
    server.enqueue(json(503, "").addHeader("Retry-After", "120"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(((CallResult.NotSent) result).retryAfter()).isEqualTo(Duration.ofSeconds(120));
  }

  @Test
  void okWithUnreadableBodyIsUnclearMalformedResponse() throws Exception {
    server.enqueue(json(200, "<html><body>Mastodon is under maintenance</body></html>"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(((CallResult.Unclear) result).message()).contains("200");
    assertStatusPost(server.takeRequest());
  }

  @Test
  void okWithoutStatusIdIsUnclearMalformedResponse() {
    server.enqueue(json(200, "{\"url\":\"https://mastodon.social/@letmepost/1\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
  }

  @Test
  void unexpectedClientErrorIsRejectedNamingTheStatus() {
    server.enqueue(json(404, "{\"error\":\"Record not found\"}"));

    CallResult result = connector.publish(task(), access);

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) result).message()).contains("404");
  }

  @Test
  void readTimeoutAfterSendingIsUnclear() throws Exception {
    MastodonConnector impatient =
        new MastodonConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(json(200, STATUS).setHeadersDelay(2, TimeUnit.SECONDS));

    CallFailure failure =
        catchThrowableOfType(CallFailure.class, () -> impatient.publish(task(), access));

    assertThat(failure.result()).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) failure.result()).code())
        .isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
    assertStatusPost(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void refusedConnectionIsNotSent() throws IOException {
    MockWebServer closed = new MockWebServer();
    closed.start();
    String url = closed.url("/").toString();
    closed.shutdown();

    CallFailure failure =
        catchThrowableOfType(CallFailure.class, () -> connector.publish(task(), accessTo(url)));

    assertThat(failure.result()).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) failure.result()).code())
        .isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
  }

  @Test
  void mediaOrFirstCommentFailsBeforeAnyRequest() {
    PublishTask withMedia =
        task(
            KEY,
            NOW.minusSeconds(60),
            List.of(new PublishTask.Media("https://x/y.png", "alt")),
            null);
    PublishTask withComment = task(KEY, NOW.minusSeconds(60), List.of(), "first!");

    CallResult media = connector.publish(withMedia, access);
    CallResult comment = connector.publish(withComment, access);

    assertThat(media).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) media).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(((CallResult.Failed) media).message()).contains("1 media URL");
    assertThat(comment).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) comment).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(connector.reconcile(withMedia, access)).isInstanceOf(CallResult.Absent.class);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileAfterServerErrorRepeatsTheKeyAndGetsTheOriginalStatus() throws Exception {
    server.enqueue(json(502, "<html>502 Bad Gateway</html>"));
    server.enqueue(json(200, STATUS));

    CallResult first = connector.publish(task(), access);
    CallResult reconciled = connector.reconcile(task(), access);

    assertThat(first).isInstanceOf(CallResult.Unclear.class);
    assertThat(reconciled)
        .isEqualTo(
            new CallResult.Published(
                "113927457309875309", "https://mastodon.social/@letmepost/113927457309875309"));
    assertStatusPost(server.takeRequest());
    assertStatusPost(server.takeRequest());
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void reconcileWithoutUsableAnswerAsksAgainInsteadOfGuessing() throws Exception {
    MastodonConnector impatient =
        new MastodonConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(json(500, "{\"error\":\"boom\"}"));
    server.enqueue(json(200, STATUS).setSocketPolicy(SocketPolicy.NO_RESPONSE));
    server.enqueue(json(200, "not json"));

    CallResult fiveHundred = impatient.reconcile(task(), access);
    CallResult timeout = impatient.reconcile(task(), access);
    CallResult malformed = impatient.reconcile(task(), access);

    assertThat(fiveHundred).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) fiveHundred).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(timeout).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) timeout).code()).isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
    assertThat(malformed).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) malformed).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    for (int i = 0; i < 3; i++) {
      assertStatusPost(server.takeRequest());
    }
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void reconcileWithRevokedTokenIsUnknown() throws Exception {
    server.enqueue(json(401, "{\"error\":\"The access token is invalid\"}"));

    CallResult result = connector.reconcile(task(), access);

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains("401", "acc_m");
    assertStatusPost(server.takeRequest());
  }

  @Test
  void reconcileRateLimitedIsNotSentWithTheWait() {
    server.enqueue(json(429, "{}").addHeader("Retry-After", "12"));

    CallResult result = connector.reconcile(task(), access);

    assertThat(result)
        .isEqualTo(
            new CallResult.NotSent(
                ErrorCodes.RATE_LIMITED,
                "Mastodon POST /api/v1/statuses answered 429 Too Many Requests (X-RateLimit-Reset"
                    + " absent) (an answer of 2 characters, in the publisher's log)",
                Duration.ofSeconds(12)));
  }

  @Test
  void reconcileAfterKeyRetentionIsUnknownWithoutAnyRequest() {
    PublishTask old = task(KEY, NOW.minus(Duration.ofMinutes(51)), List.of(), null);

    CallResult result = connector.reconcile(old, access);

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message())
        .contains("1 h", "t_1", "2026-03-01T11:09:00Z", "acc_m");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileOfAScheduledTaskCountsFromItsFirstAttemptNotItsRequest() throws Exception {
    server.enqueue(json(200, STATUS));
    PublishTask scheduled = task(KEY, NOW.minus(Duration.ofHours(6)), List.of(), null);

    CallResult late = connector.reconcile(scheduled, access, NOW.minus(Duration.ofMinutes(51)));
    CallResult inTime = connector.reconcile(scheduled, access, NOW.minus(Duration.ofMinutes(10)));

    assertThat(late).isInstanceOf(CallResult.Unknown.class);
    assertThat(inTime).isInstanceOf(CallResult.Published.class);
    assertThat(server.getRequestCount()).isEqualTo(1);
    assertStatusPost(server.takeRequest());
  }

  @Test
  void reconcileJustInsideKeyRetentionRepeatsThePost() throws Exception {
    server.enqueue(json(200, STATUS));
    PublishTask recent = task(KEY, NOW.minus(Duration.ofMinutes(50)), List.of(), null);

    assertThat(connector.reconcile(recent, access)).isInstanceOf(CallResult.Published.class);
    assertStatusPost(server.takeRequest());
  }

  @Test
  void tokenAppearsInNoMessage() throws Exception {
    String echo = "{\"error\":\"bad Authorization: Bearer " + TOKEN + "\"}";
    int[] statuses = {401, 403, 404, 422, 429, 500, 503, 200};
    List<String> messages = new ArrayList<>();
    for (int status : statuses) {
      server.enqueue(json(status, status == 200 ? "Bearer " + TOKEN : echo));
      messages.add((connector.publish(task(), access)).message());
    }
    for (int status : statuses) {
      server.enqueue(json(status, status == 200 ? "Bearer " + TOKEN : echo));
      messages.add((connector.reconcile(task(), access)).message());
    }
    MastodonConnector impatient =
        new MastodonConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(json(200, STATUS).setSocketPolicy(SocketPolicy.NO_RESPONSE));
    messages.add(
        catchThrowableOfType(CallFailure.class, () -> impatient.publish(task(), access))
            .getMessage());
    messages.add(
        (connector.reconcile(task(KEY, NOW.minusSeconds(7200), List.of(), null), access))
            .message());

    assertThat(messages)
        .hasSize(2 * statuses.length + 2)
        .allSatisfy(
            m -> {
              assertThat(m).isNotBlank();
              assertThat(m).doesNotContain(TOKEN);
            });
    assertThat(messages.get(0)).doesNotContain("[redacted]");
  }

  private static void assertStatusPost(RecordedRequest request) throws IOException {
    assertThat(request).isNotNull();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo("/api/v1/statuses");
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(request.getHeader("Idempotency-Key")).isEqualTo(KEY);
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    JsonNode body = MAPPER.readTree(request.getBody().readUtf8());
    assertThat(body).isEqualTo(MAPPER.createObjectNode().put("status", TEXT));
  }

  private static AccountAccess accessTo(String endpoint) {
    Account account =
        new Account(
            "acc_m",
            "alice",
            "mastodon",
            "@letmepost@mastodon.social",
            Account.Status.connected,
            "env:X",
            false,
            endpoint);
    return ConnectorTestKit.access(account, TOKEN);
  }

  private static PublishTask task() {
    return task(KEY, NOW.minusSeconds(60), List.of(), null);
  }

  private static PublishTask task(
      String key, Instant recordedAt, List<PublishTask.Media> media, String firstComment) {
    return ConnectorTestKit.task("mastodon", "acc_m")
        .key(key)
        .text(TEXT)
        .media(media)
        .firstComment(firstComment)
        .at(recordedAt.toEpochMilli(), NOW.plusSeconds(3600).toEpochMilli())
        .build();
  }
}

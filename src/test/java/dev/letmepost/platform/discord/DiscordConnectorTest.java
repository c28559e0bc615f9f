package dev.letmepost.platform.discord;

import static dev.letmepost.platform.ConnectorTestKit.body;
import static dev.letmepost.platform.ConnectorTestKit.json;
import static dev.letmepost.platform.ConnectorTestKit.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.platform.ConnectorTestKit;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DiscordConnectorTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static final String HOOK_ID = "1180434717923672085";
  private static final String TOKEN =
      "qJ3vX9-Zk2bW_7sLmN4pRtYuE8aC1dF6gH0iK5oP9qS2uV3wX4yZ7bN1mQ8rT6eW";
  private static final String HOOK_PATH = "/api/webhooks/" + HOOK_ID + "/" + TOKEN;
  private static final String REFERENCE = "env:DISCORD_WEBHOOK";

  private static final String MESSAGE_ID = "1212345678901234567";
  private static final String CHANNEL_ID = "1180434690123456789";
  private static final String GUILD_ID = "1180434600000000001";

  private final MockWebServer server = new MockWebServer();
  private String webhookUrl;
  private DiscordConnector connector;

  @BeforeEach
  void start() throws IOException {
    server.start();
    webhookUrl = server.url(HOOK_PATH).toString();
    connector =
        new DiscordConnector(
            PlatformHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(5), CLOCK));
  }

  @AfterEach
  void stop() throws IOException {
    server.shutdown();
  }

  @Test
  void postsTextWithImageEmbedsAndAnswersTheMessageIdAndLink() throws Exception {
    server.enqueue(json(200, messageObject(true)));

    CallResult result =
        connector.publish(
            task(
                "Launch day! 🚀",
                List.of(
                    new Media("https://cdn.example.com/a.png", "the rocket"),
                    new Media("https://cdn.example.com/b.jpg", null)),
                null),
            access(webhookUrl));

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(
                MESSAGE_ID,
                "https://discord.com/channels/" + GUILD_ID + "/" + CHANNEL_ID + "/" + MESSAGE_ID));
    RecordedRequest request = onlyRequest();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo(HOOK_PATH + "?wait=true");
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(request.getHeader("Authorization")).isNull();
    assertThat(body(request))
        .isEqualTo(
            tree(
                """
                {"content": "Launch day! 🚀",
                 "embeds": [{"image": {"url": "https://cdn.example.com/a.png"}},
                            {"image": {"url": "https://cdn.example.com/b.jpg"}}]}
                """));
  }

  @Test
  void postsTextOnlyWithoutEmbedsAndGivesNoLinkWithoutGuildId() throws Exception {
    server.enqueue(json(200, messageObject(false)));

    CallResult result = connector.publish(task("hello", List.of(), null), access(webhookUrl));

    assertThat(result).isEqualTo(new CallResult.Published(MESSAGE_ID, null));
    RecordedRequest request = onlyRequest();
    assertThat(request.getPath()).isEqualTo(HOOK_PATH + "?wait=true");
    assertThat(body(request)).isEqualTo(tree("{\"content\": \"hello\"}"));
  }

  @Test
  void keepsTheWebhookQueryAndForcesWaitTrue() throws Exception {
    server.enqueue(json(200, messageObject(true)));

    CallResult result =
        connector.publish(
            task("in a thread", List.of(), null),
            access(webhookUrl + "?thread_id=1180434799999999999&wait=false"));

    assertThat(result).isInstanceOf(CallResult.Published.class);
    assertThat(onlyRequest().getPath())
        .isEqualTo(HOOK_PATH + "?thread_id=1180434799999999999&wait=true");
  }

  @Test
  void rateLimitIsNotSentWithTheBodysRetryAfter() throws Exception {
    server.enqueue(
        json(
                429,
                "{\"message\": \"You are being rate limited.\", \"retry_after\": 1.234, \"global\": false}")
            .setHeader("Retry-After", "2"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    CallResult.NotSent notSent = (CallResult.NotSent) result;
    assertThat(notSent.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(notSent.retryAfter()).isEqualTo(Duration.ofMillis(1234));
    assertThat(notSent.message()).contains("429").doesNotContain("You are being rate limited.");
    onlyRequest();
  }

  @Test
  void rateLimitWithoutJsonWaitsForTheRetryAfterHeader() throws Exception {
    server.enqueue(
        new MockResponse().setResponseCode(429).setHeader("Retry-After", "7").setBody("slow down"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result)
        .isEqualTo(
            new CallResult.NotSent(
                ErrorCodes.RATE_LIMITED,
                "POST "
                    + server.getHostName()
                    + " answered 429 Too Many Requests (an answer of 9 characters, in the publisher's log)",
                Duration.ofSeconds(7)));
    onlyRequest();
  }

  @Test
  void serverErrorAfterSendingIsUnclearAndNotRetried() throws Exception {
    server.enqueue(json(502, "{\"message\": \"502: Bad Gateway\", \"code\": 0}"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(((CallResult.Unclear) result).message()).contains("502");
    onlyRequest();
  }

  @Test
  void noAnswerWithinTheTimeoutIsAnUnclearCallFailure() throws Exception {
    DiscordConnector impatient =
        new DiscordConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));

    assertThatThrownBy(() -> impatient.publish(task("hi", List.of(), null), access(webhookUrl)))
        .isInstanceOfSatisfying(
            CallFailure.class,
            failure -> {
              assertThat(failure.result()).isInstanceOf(CallResult.Unclear.class);
              assertThat(((CallResult.Unclear) failure.result()).code())
                  .isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
            });
    assertThat(onlyRequest().getPath()).isEqualTo(HOOK_PATH + "?wait=true");
  }

  @Test
  void connectionLostAfterSendingIsAnUnclearCallFailure() throws Exception {
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));

    assertThatThrownBy(() -> connector.publish(task("hi", List.of(), null), access(webhookUrl)))
        .isInstanceOfSatisfying(
            CallFailure.class,
            failure -> assertThat(failure.result()).isInstanceOf(CallResult.Unclear.class));
    onlyRequest();
  }

  @Test
  void successWithoutAReadableMessageIsUnclearMalformed() throws Exception {
    server.enqueue(json(200, "{\"channel_id\": \"" + CHANNEL_ID + "\", \"content\": \"hi\"}"));
    server.enqueue(new MockResponse().setResponseCode(204));
    server.enqueue(json(200, "{\"id\": \"" + MESSAGE_ID + "\", \"chan"));

    List<CallResult> results = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      results.add(connector.publish(task("hi", List.of(), null), access(webhookUrl)));
    }

    assertThat(results)
        .allSatisfy(
            r -> {
              assertThat(r).isInstanceOf(CallResult.Unclear.class);
              assertThat(((CallResult.Unclear) r).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
            });
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  /**
   * Broke: the message named the operator's credential reference ({@code env:DISCORD_WEBHOOK}), and
   * it reached the tenant's envelope; it names the account only now (the log has the rest).
   */
  @Test
  void deletedWebhookIsAccountDisconnectedWithoutTheCredentialReference() throws Exception {
    server.enqueue(json(404, "{\"message\": \"Unknown Webhook\", \"code\": 10015}"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    CallResult.Failed failed = (CallResult.Failed) result;
    assertThat(failed.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(failed.message())
        .contains("404")
        .doesNotContain("Unknown Webhook")
        .contains("acct-discord")
        .doesNotContain(REFERENCE);
    onlyRequest();
  }

  @Test
  void invalidWebhookTokenIsAccountDisconnected() throws Exception {
    server.enqueue(json(401, "{\"message\": \"Invalid Webhook Token\", \"code\": 50027}"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).doesNotContain("Invalid Webhook Token");
    onlyRequest();
  }

  @Test
  void invalidFormBodyIsRejectedByPlatform() throws Exception {
    server.enqueue(
        json(
            400,
            """
            {"code": 50035, "errors": {"embeds": {"0": {"image": {"url": {"_errors": [
              {"code": "URL_TYPE_INVALID_URL", "message": "Not a well formed URL."}]}}}}},
             "message": "Invalid Form Body"}
            """));

    CallResult result =
        connector.publish(
            task("hi", List.of(new Media("ftp://example.com/x.png", null)), null),
            access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    CallResult.Failed failed = (CallResult.Failed) result;
    assertThat(failed.code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(failed.message()).contains("400").doesNotContain("Invalid Form Body");
    onlyRequest();
  }

  @Test
  void contentOverTheLimitIsTextTooLong() throws Exception {
    server.enqueue(
        json(
            400,
            """
            {"code": 50035, "errors": {"content": {"_errors": [
              {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}},
             "message": "Invalid Form Body"}
            """));

    CallResult result =
        connector.publish(task("x".repeat(2001), List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
    assertThat(((CallResult.Failed) result).message()).doesNotContain("Must be 2000 or fewer");
    onlyRequest();
  }

  @Test
  void firstCommentIsUnsupportedAndSendsNothing() {
    CallResult result =
        connector.publish(task("hi", List.of(), "and a comment"), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void moreMediaThanEmbedsIsUnsupportedAndSendsNothing() {
    List<Media> eleven =
        IntStream.range(0, 11)
            .mapToObj(i -> new Media("https://cdn.example.com/" + i + ".png", null))
            .toList();

    CallResult result = connector.publish(task("hi", eleven, null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(((CallResult.Failed) result).message()).contains("11").contains("10");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void secretThatIsNotAWebhookUrlIsAccountDisconnectedNamingNeitherSecretNorReference() {
    String notAUrl = "discord.com/api/webhooks/" + HOOK_ID + "/" + TOKEN;

    for (String secret : List.of(notAUrl, "ftp://" + notAUrl, "https://", "::" + TOKEN)) {
      CallResult result = connector.publish(task("hi", List.of(), null), access(secret));

      assertThat(result).isInstanceOf(CallResult.Failed.class);
      CallResult.Failed failed = (CallResult.Failed) result;
      assertThat(failed.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
      assertThat(failed.message())
          .contains("the credentials of account acct-discord are not an http(s) Discord webhook")
          .doesNotContain(REFERENCE, TOKEN, HOOK_ID);
    }
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileIsUnknownWithoutAnyRequest() {
    CallResult result = connector.reconcile(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains("task-1").contains("acct-discord");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void noFailureMessageHoldsTheWebhookUrlOrToken() {
    String echo = "<html><body>Cannot POST " + HOOK_PATH + " (" + webhookUrl + ")</body></html>";
    List<MockResponse> answers =
        List.of(
            json(429, "{\"message\": \"rate limited " + TOKEN + "\", \"retry_after\": 0.5}"),
            json(401, "{\"message\": \"Invalid Webhook Token\", \"code\": 50027}"),
            new MockResponse().setResponseCode(404).setBody(echo),
            new MockResponse().setResponseCode(400).setBody(echo),
            new MockResponse().setResponseCode(403).setBody(echo),
            new MockResponse().setResponseCode(500).setBody(echo),
            new MockResponse().setResponseCode(503).setHeader("Retry-After", "3").setBody(echo),
            new MockResponse().setResponseCode(200).setBody(echo),
            new MockResponse().setResponseCode(302).setBody(echo),
            new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    answers.forEach(server::enqueue);

    List<String> messages = new ArrayList<>();
    for (int i = 0; i < answers.size(); i++) {
      try {
        messages.add(
            (connector.publish(task("hi", List.of(), null), access(webhookUrl))).message());
      } catch (CallFailure failure) {
        messages.add(failure.getMessage());
        messages.add(failure.result().message());
      }
    }
    messages.add((connector.publish(task("hi", List.of(), "c"), access(webhookUrl))).message());
    messages.add(
        (connector.publish(task("hi", List.of(), null), access("x" + webhookUrl))).message());
    messages.add((connector.reconcile(task("hi", List.of(), null), access(webhookUrl))).message());

    assertThat(server.getRequestCount()).isEqualTo(answers.size());
    assertThat(messages).hasSize(answers.size() + 4);
    assertThat(messages)
        .allSatisfy(
            m -> assertThat(m).isNotBlank().doesNotContain(webhookUrl, HOOK_PATH, TOKEN, HOOK_ID));
    // the platform's answers (some echo the URL) are not quoted at all: they go to the log
    assertThat(messages).noneSatisfy(m -> assertThat(m).contains("Cannot POST"));
  }

  private RecordedRequest onlyRequest() throws InterruptedException {
    RecordedRequest request = server.takeRequest(2, TimeUnit.SECONDS);
    assertThat(request).as("a request reached the server").isNotNull();
    assertThat(server.takeRequest(100, TimeUnit.MILLISECONDS)).as("a second request").isNull();
    assertThat(server.getRequestCount()).isEqualTo(1);
    return request;
  }

  private static String messageObject(boolean withGuild) {
    return "{\"id\": \""
        + MESSAGE_ID
        + "\", \"type\": 0, \"content\": \"hello\", \"channel_id\": \""
        + CHANNEL_ID
        + "\", \"author\": {\"bot\": true, \"id\": \""
        + HOOK_ID
        + "\", \"username\": \"letmepost\"}, \"attachments\": [], \"embeds\": [],"
        + " \"mentions\": [], \"pinned\": false, \"timestamp\": \"2026-03-01T12:00:00.123000+00:00\","
        + " \"webhook_id\": \""
        + HOOK_ID
        + "\""
        + (withGuild ? ", \"guild_id\": \"" + GUILD_ID + "\"" : "")
        + "}";
  }

  private static PublishTask task(String text, List<Media> media, String firstComment) {
    return ConnectorTestKit.task("discord", "acct-discord")
        .ids("task-1", "batch-1", "9f2c4e")
        .key("idem-task-1")
        .text(text)
        .media(media)
        .firstComment(firstComment)
        .at(NOW.toEpochMilli(), NOW.plusSeconds(600).toEpochMilli())
        .build();
  }

  private static AccountAccess access(String webhookUrl) {
    Account account =
        new Account(
            "acct-discord",
            "alice",
            "discord",
            "#announcements",
            Account.Status.connected,
            REFERENCE,
            false,
            null);
    return ConnectorTestKit.access(account, webhookUrl);
  }
}

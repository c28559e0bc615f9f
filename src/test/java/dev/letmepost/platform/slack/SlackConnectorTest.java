package dev.letmepost.platform.slack;

import static dev.letmepost.platform.ConnectorTestKit.body;
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

class SlackConnectorTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private static final String TEAM = "T024BE7LD";
  private static final String HOOK = "B06QX1ZK2M4";
  private static final String TOKEN = "hX7mQ2vK9pR4sT1wY6zB3nC8";
  private static final String HOOK_PATH = "/services/" + TEAM + "/" + HOOK + "/" + TOKEN;
  private static final String REFERENCE = "env:SLACK_WEBHOOK";

  private final MockWebServer server = new MockWebServer();
  private String webhookUrl;
  private SlackConnector connector;

  @BeforeEach
  void start() throws IOException {
    server.start();
    webhookUrl = server.url(HOOK_PATH).toString();
    connector =
        new SlackConnector(
            PlatformHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(5), CLOCK));
  }

  @AfterEach
  void stop() throws IOException {
    server.shutdown();
  }

  @Test
  void postsTextAndAnswersPublishedWithoutIdOnOk() throws Exception {
    server.enqueue(ConnectorTestKit.response(200, "text/html", "ok"));

    CallResult result =
        connector.publish(
            task("Release 2.4 is out: *faster* builds", List.of(), null), access(webhookUrl));

    assertThat(result).isEqualTo(new CallResult.Published(null, null));
    RecordedRequest request = onlyRequest();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo(HOOK_PATH);
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(request.getHeader("Authorization")).isNull();
    assertThat(body(request))
        .isEqualTo(tree("{\"text\": \"Release 2.4 is out: *faster* builds\"}"));
  }

  @Test
  void postsMediaAsImageBlocksAfterTheTextWithTextAsFallback() throws Exception {
    server.enqueue(ConnectorTestKit.response(200, "text/html", "ok"));

    CallResult result =
        connector.publish(
            task(
                "New office 🎉",
                List.of(
                    new Media("https://cdn.example.com/desk.jpg", "a standing desk"),
                    new Media("https://cdn.example.com/view.png", null)),
                null),
            access(webhookUrl));

    assertThat(result).isEqualTo(new CallResult.Published(null, null));
    assertThat(body(onlyRequest()))
        .isEqualTo(
            tree(
                """
                {"text": "New office 🎉",
                 "blocks": [
                   {"type": "section", "text": {"type": "mrkdwn", "text": "New office 🎉"}},
                   {"type": "image", "image_url": "https://cdn.example.com/desk.jpg",
                    "alt_text": "a standing desk"},
                   {"type": "image", "image_url": "https://cdn.example.com/view.png",
                    "alt_text": "image"}]}
                """));
  }

  @Test
  void rateLimitIsNotSentWithTheRetryAfterHeader() throws Exception {
    server.enqueue(
        ConnectorTestKit.response(429, "text/html", "rate_limited").setHeader("Retry-After", "30"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    CallResult.NotSent notSent = (CallResult.NotSent) result;
    assertThat(notSent.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(notSent.retryAfter()).isEqualTo(Duration.ofSeconds(30));
    assertThat(notSent.message()).contains("429").doesNotContain("rate_limited");
    onlyRequest();
  }

  @Test
  void rateLimitUntilAnHttpDateWaitsFromTheInjectedClock() throws Exception {
    server.enqueue(
        ConnectorTestKit.response(429, "text/html", "rate_limited")
            .setHeader("Retry-After", "Sun, 01 Mar 2026 12:01:30 GMT"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).retryAfter()).isEqualTo(Duration.ofSeconds(90));
    onlyRequest();
  }

  @Test
  void rollupErrorAfterSendingIsUnclearAndNotRetried() throws Exception {
    server.enqueue(ConnectorTestKit.response(500, "text/html", "rollup_error"));

    CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(((CallResult.Unclear) result).message())
        .contains("500")
        .doesNotContain("rollup_error");
    onlyRequest();
  }

  @Test
  void noAnswerWithinTheTimeoutIsAnUnclearCallFailure() throws Exception {
    SlackConnector impatient =
        new SlackConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(
        ConnectorTestKit.response(200, "text/html", "ok").setHeadersDelay(1, TimeUnit.SECONDS));

    assertThatThrownBy(() -> impatient.publish(task("hi", List.of(), null), access(webhookUrl)))
        .isInstanceOfSatisfying(
            CallFailure.class,
            failure -> {
              assertThat(failure.result()).isInstanceOf(CallResult.Unclear.class);
              assertThat(((CallResult.Unclear) failure.result()).code())
                  .isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
            });
    assertThat(onlyRequest().getPath()).isEqualTo(HOOK_PATH);
  }

  @Test
  void okWithAnUnexpectedBodyIsUnclearMalformed() throws Exception {
    server.enqueue(
        ConnectorTestKit.response(
            200, "text/html", "<html><body>Slack is down for maintenance</body></html>"));
    server.enqueue(new MockResponse().setResponseCode(204));

    List<CallResult> results = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      results.add(connector.publish(task("hi", List.of(), null), access(webhookUrl)));
    }

    assertThat(results)
        .allSatisfy(
            r -> {
              assertThat(r).isInstanceOf(CallResult.Unclear.class);
              assertThat(((CallResult.Unclear) r).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
            });
    assertThat(((CallResult.Unclear) results.get(0)).message()).doesNotContain("maintenance");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void revokedWebhookIsAccountDisconnectedQuotingSlacksError() throws Exception {
    List<MockResponse> revoked =
        List.of(
            ConnectorTestKit.response(404, "text/html", "no_service"),
            ConnectorTestKit.response(404, "text/html", "no_team"),
            ConnectorTestKit.response(403, "text/html", "team_disabled"),
            ConnectorTestKit.response(403, "text/html", "invalid_token"),
            ConnectorTestKit.response(400, "text/html", "invalid_token"),
            ConnectorTestKit.response(404, "text/html", "channel_not_found"),
            ConnectorTestKit.response(403, "text/html", "action_prohibited"),
            ConnectorTestKit.response(401, "text/html", "Unauthorized"));
    revoked.forEach(server::enqueue);

    for (String expected :
        List.of(
            "no_service",
            "no_team",
            "team_disabled",
            "invalid_token",
            "invalid_token",
            "channel_not_found",
            "action_prohibited",
            "401")) {
      CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

      assertThat(result).isInstanceOf(CallResult.Failed.class);
      CallResult.Failed failed = (CallResult.Failed) result;
      assertThat(failed.code()).as(expected).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
      assertThat(failed.message())
          .contains(expected)
          .contains("acct-slack")
          .doesNotContain(REFERENCE);
    }
    assertThat(server.getRequestCount()).isEqualTo(revoked.size());
  }

  @Test
  void invalidPayloadAndArchivedChannelAreRejectedByPlatform() throws Exception {
    List<MockResponse> refusals =
        List.of(
            ConnectorTestKit.response(400, "text/html", "invalid_payload"),
            ConnectorTestKit.response(400, "text/html", "no_text"),
            ConnectorTestKit.response(400, "text/html", "too_many_attachments"),
            ConnectorTestKit.response(410, "text/html", "channel_is_archived"));
    refusals.forEach(server::enqueue);

    for (String expected :
        List.of("invalid_payload", "no_text", "too_many_attachments", "channel_is_archived")) {
      CallResult result = connector.publish(task("hi", List.of(), null), access(webhookUrl));

      assertThat(result).isInstanceOf(CallResult.Failed.class);
      CallResult.Failed failed = (CallResult.Failed) result;
      assertThat(failed.code()).as(expected).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
      assertThat(failed.message()).contains(expected);
    }
    assertThat(server.getRequestCount()).isEqualTo(refusals.size());
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
  void moreImagesThanBlocksIsUnsupportedAndSendsNothing() {
    List<Media> fifty =
        IntStream.range(0, 50)
            .mapToObj(i -> new Media("https://cdn.example.com/" + i + ".png", null))
            .toList();

    CallResult result = connector.publish(task("hi", fifty, null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(((CallResult.Failed) result).message()).contains("50").contains("49");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void secretThatIsNotAWebhookUrlIsAccountDisconnectedNamingNeitherSecretNorReference() {
    String notAUrl = "hooks.slack.com/services/" + TEAM + "/" + HOOK + "/" + TOKEN;

    for (String secret : List.of(notAUrl, "mailto:" + TOKEN + "@example.com", "http://", "")) {
      CallResult result = connector.publish(task("hi", List.of(), null), access(secret));

      assertThat(result).isInstanceOf(CallResult.Failed.class);
      CallResult.Failed failed = (CallResult.Failed) result;
      assertThat(failed.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
      assertThat(failed.message())
          .contains("acct-slack")
          .doesNotContain(REFERENCE, TOKEN, HOOK, TEAM);
    }
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileIsUnknownWithoutAnyRequest() {
    CallResult result = connector.reconcile(task("hi", List.of(), null), access(webhookUrl));

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains("task-1").contains("acct-slack");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void noFailureMessageHoldsTheWebhookUrlOrToken() {
    String echo = "<html>No hook at " + HOOK_PATH + " (" + webhookUrl + ")</html>";
    List<MockResponse> answers =
        List.of(
            ConnectorTestKit.response(429, "text/html", "rate_limited " + TOKEN)
                .setHeader("Retry-After", "1"),
            ConnectorTestKit.response(404, "text/html", "no_service"),
            ConnectorTestKit.response(404, "text/html", echo),
            ConnectorTestKit.response(403, "text/html", echo),
            ConnectorTestKit.response(400, "text/html", echo),
            ConnectorTestKit.response(400, "text/html", "invalid_payload"),
            ConnectorTestKit.response(410, "text/html", echo),
            ConnectorTestKit.response(500, "text/html", echo),
            ConnectorTestKit.response(503, "text/html", echo).setHeader("Retry-After", "5"),
            ConnectorTestKit.response(200, "text/html", echo),
            ConnectorTestKit.response(302, "text/html", echo),
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
            m ->
                assertThat(m)
                    .isNotBlank()
                    .doesNotContain(webhookUrl, HOOK_PATH, TOKEN, HOOK, TEAM));
    // the platform's answers (some echo the URL) are not quoted at all: they go to the log
    assertThat(messages).noneSatisfy(m -> assertThat(m).contains("No hook at"));
  }

  private RecordedRequest onlyRequest() throws InterruptedException {
    RecordedRequest request = server.takeRequest(2, TimeUnit.SECONDS);
    assertThat(request).as("a request reached the server").isNotNull();
    assertThat(server.takeRequest(100, TimeUnit.MILLISECONDS)).as("a second request").isNull();
    assertThat(server.getRequestCount()).isEqualTo(1);
    return request;
  }

  private static PublishTask task(String text, List<Media> media, String firstComment) {
    return ConnectorTestKit.task("slack", "acct-slack")
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
            "acct-slack",
            "alice",
            "slack",
            "#releases",
            Account.Status.connected,
            REFERENCE,
            false,
            null);
    return ConnectorTestKit.access(account, webhookUrl);
  }
}

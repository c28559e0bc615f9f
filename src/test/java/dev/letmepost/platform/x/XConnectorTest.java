package dev.letmepost.platform.x;

import static dev.letmepost.platform.ConnectorTestKit.answer;
import static dev.letmepost.platform.ConnectorTestKit.body;
import static dev.letmepost.platform.ConnectorTestKit.json;
import static dev.letmepost.platform.ConnectorTestKit.messageOf;
import static dev.letmepost.platform.ConnectorTestKit.noResponse;
import static dev.letmepost.platform.ConnectorTestKit.response;
import static dev.letmepost.platform.ConnectorTestKit.status;
import static dev.letmepost.platform.ConnectorTestKit.takeOnlyRequest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.platform.ConnectorTestKit;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class XConnectorTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String SECRET = "s3cr3t-value";

  /** X's 403 for repeated text, as logged from the live API. */
  private static final String DUPLICATE_BODY =
      "{\"detail\":\"You are not allowed to create a Tweet with duplicate content.\","
          + "\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403}";

  private MockWebServer server;
  private XConnector connector;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
    connector =
        new XConnector(PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
  }

  @AfterEach
  void stop() throws IOException {
    server.shutdown();
  }

  @Test
  void publishesTextAndReturnsTheIdAndStatusLink() throws Exception {
    String text = "Ship it: \"v2\"\nsecond line 🚀 #launch @you";
    server.enqueue(
        json(
                201,
                "{\"data\":{\"edit_history_tweet_ids\":[\"1994750000000000001\"],"
                    + "\"id\":\"1994750000000000001\",\"text\":\"Ship it: \\\"v2\\\"\\nsecond line"
                    + " 🚀 #launch @you\"}}")
            .addHeader("x-rate-limit-limit", "100")
            .addHeader("x-rate-limit-remaining", "99")
            .addHeader("x-rate-limit-reset", String.valueOf(NOW.getEpochSecond() + 900)));

    CallResult result = connector.publish(task(text), access());

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(
                "1994750000000000001", "https://x.com/i/web/status/1994750000000000001"));
    assertOnlyRequestIsThePost(text);
    assertThat(connector.platform()).isEqualTo(Platform.TWITTER);
  }

  @Test
  void duplicateContentIsUnknownNeverPublished() throws Exception {
    server.enqueue(response(403, "application/problem+json", DUPLICATE_BODY));

    CallResult result = connector.publish(task("Same again"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Unknown.class,
            r ->
                assertThat(r.message())
                    .doesNotContain(
                        "You are not allowed to create a Tweet with duplicate content."));
    assertOnlyRequestIsThePost("Same again");
  }

  @Test
  void clientNotEnrolledDisconnectsTheAccount() throws Exception {
    server.enqueue(
        answer(
            403,
            "{\"client_id\":\"27988566\",\"detail\":\"When authenticating requests to the"
                + " Twitter API v2 endpoints, you must use keys and tokens from a Twitter"
                + " developer App that is attached to a Project. You can create a project via"
                + " the developer portal.\",\"registration_url\":"
                + "\"https://developer.twitter.com/en/docs/projects/overview\",\"title\":"
                + "\"Client Forbidden\",\"required_enrollment\":\"Appropriate Level of API"
                + " Access\",\"reason\":\"client-not-enrolled\",\"type\":"
                + "\"https://api.twitter.com/2/problems/client-forbidden\"}"));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
              assertThat(r.message())
                  .contains("403")
                  .doesNotContain("Client Forbidden")
                  .doesNotContain("(client-not-enrolled)");
            });
    takeOnlyRequest(server);
  }

  @Test
  void appOnlyTokenDisconnectsTheAccount() throws Exception {
    server.enqueue(
        answer(
            403,
            "{\"title\":\"Unsupported Authentication\",\"detail\":\"Authenticating with OAuth"
                + " 2.0 Application-Only is forbidden for this endpoint.  Supported"
                + " authentication types are [OAuth 1.0a User Context, OAuth 2.0 User"
                + " Context].\",\"type\":"
                + "\"https://api.twitter.com/2/problems/unsupported-authentication\","
                + "\"status\":403}"));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
              assertThat(r.message())
                  .doesNotContain("Unsupported Authentication")
                  .doesNotContain("OAuth 2.0 Application-Only is forbidden");
            });
    takeOnlyRequest(server);
  }

  @Test
  void otherForbiddenIsRejectedWithoutQuotingXsAnswer() throws Exception {
    server.enqueue(
        answer(
            403,
            "{\"detail\":\"You are not permitted to perform this action.\",\"type\":"
                + "\"about:blank\",\"title\":\"Forbidden\",\"status\":403}"));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isEqualTo(
            new CallResult.Failed(
                ErrorCodes.REJECTED_BY_PLATFORM,
                "x POST "
                    + server.getHostName()
                    + "/2/tweets refused the post (403) (an answer of 112 characters, in the"
                    + " publisher's log)"));
    takeOnlyRequest(server);
  }

  @Test
  void invalidRequestIsRejectedWithoutQuotingXsAnswer() throws Exception {
    server.enqueue(
        answer(
            400,
            "{\"errors\":[{\"parameters\":{},\"message\":\"Requests with bodies must have"
                + " content-type of application/json.\"}],\"title\":\"Invalid Request\","
                + "\"detail\":\"One or more parameters to your request was invalid.\",\"type\":"
                + "\"https://api.twitter.com/2/problems/invalid-request\"}"));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
              assertThat(r.message())
                  .contains("400")
                  .doesNotContain("Invalid Request")
                  .doesNotContain("Requests with bodies must have content-type");
            });
    takeOnlyRequest(server);
  }

  /** The shape of X's length refusal was not verified; this is the invalid-request shape. */
  @Test
  void textOverTheLimitIsTextTooLong() throws Exception {
    server.enqueue(
        answer(
            400,
            "{\"errors\":[{\"parameters\":{\"text\":[\"…\"]},\"message\":\"The length of the"
                + " `text` field in the request body [301] is not between 0 and 280\"}],"
                + "\"title\":\"Invalid Request\",\"detail\":\"One or more parameters to your"
                + " request was invalid.\",\"type\":"
                + "\"https://api.twitter.com/2/problems/invalid-request\"}"));

    CallResult result = connector.publish(task("y".repeat(301)), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
              assertThat(r.message()).doesNotContain("[301] is not between 0 and 280");
            });
    takeOnlyRequest(server);
  }

  @Test
  void rateLimitedWaitsUntilTheRateLimitResetOfTheInjectedClock() throws Exception {
    server.enqueue(
        answer(
                429,
                "{\"title\":\"Too Many Requests\",\"detail\":\"Too Many Requests\",\"type\":"
                    + "\"about:blank\",\"status\":429}")
            .addHeader("x-rate-limit-limit", "100")
            .addHeader("x-rate-limit-remaining", "0")
            .addHeader("x-rate-limit-reset", String.valueOf(NOW.getEpochSecond() + 300))
            .addHeader("Retry-After", "9999"));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
              assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(300));
              assertThat(r.message())
                  .contains("429")
                  .contains("x-rate-limit-reset " + (NOW.getEpochSecond() + 300));
            });
    takeOnlyRequest(server);
  }

  @Test
  void exhaustedDailyUserWindowWaitsForItsLaterReset() throws Exception {
    server.enqueue(
        status(429)
            .addHeader("x-rate-limit-remaining", "57")
            .addHeader("x-rate-limit-reset", String.valueOf(NOW.getEpochSecond() + 60))
            .addHeader("x-app-limit-24hour-remaining", "1433")
            .addHeader("x-app-limit-24hour-reset", String.valueOf(NOW.getEpochSecond() + 7200))
            .addHeader("x-user-limit-24hour-remaining", "0")
            .addHeader("x-user-limit-24hour-reset", String.valueOf(NOW.getEpochSecond() + 3600)));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.retryAfter()).isEqualTo(Duration.ofHours(1));
              assertThat(r.message()).contains("x-user-limit-24hour-reset");
            });
    takeOnlyRequest(server);
  }

  @Test
  void rateLimitedWithoutResetFallsBackToRetryAfterAndPastResetIsNoWait() throws Exception {
    server.enqueue(status(429).addHeader("Retry-After", "42"));
    server.enqueue(
        status(429)
            .addHeader("x-rate-limit-remaining", "0")
            .addHeader("x-rate-limit-reset", String.valueOf(NOW.getEpochSecond() - 10)));
    server.enqueue(status(429));

    List<CallResult> results =
        List.of(
            connector.publish(task("Hello"), access()),
            connector.publish(task("Hello"), access()),
            connector.publish(task("Hello"), access()));

    assertThat(results)
        .allSatisfy(r -> assertThat(r).isInstanceOf(CallResult.NotSent.class))
        .extracting(r -> ((CallResult.NotSent) r).retryAfter())
        .containsExactly(Duration.ofSeconds(42), Duration.ZERO, null);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void serverErrorAfterSendingIsUnclear() throws Exception {
    server.enqueue(
        answer(
            503,
            "{\"title\":\"Service Unavailable\",\"detail\":\"Service Unavailable\",\"type\":"
                + "\"about:blank\",\"status\":503}"));
    server.enqueue(status(500));

    CallResult unavailable = connector.publish(task("Hello"), access());
    CallResult internal = connector.publish(task("Hello"), access());

    assertThat(List.of(unavailable, internal))
        .allSatisfy(
            r ->
                assertThat(r)
                    .isInstanceOfSatisfying(
                        CallResult.Unclear.class,
                        u -> assertThat(u.code()).isEqualTo(ErrorCodes.PLATFORM_ERROR)));
    assertThat(((CallResult.Unclear) unavailable).message())
        .contains("503")
        .doesNotContain("Service Unavailable");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void unansweredRequestTimesOutAsUnclear() throws Exception {
    server.enqueue(noResponse());

    CallFailure failure =
        catchThrowableOfType(CallFailure.class, () -> connector.publish(task("Hello"), access()));

    assertThat(failure).isNotNull();
    assertThat(failure.result())
        .isInstanceOfSatisfying(
            CallResult.Unclear.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_TIMEOUT));
    assertOnlyRequestIsThePost("Hello");
  }

  @Test
  void successWithoutAReadableIdIsUnclearMalformed() throws Exception {
    server.enqueue(answer(201, "<html>ok</html>"));
    server.enqueue(answer(201, "{\"data\":{\"text\":\"Hi\"}}"));
    server.enqueue(answer(200, "{\"data\":{\"id\":\"not-a-number\",\"text\":\"Hi\"}}"));

    List<CallResult> results =
        List.of(
            connector.publish(task("Hi"), access()),
            connector.publish(task("Hi"), access()),
            connector.publish(task("Hi"), access()));

    assertThat(results)
        .allSatisfy(
            r ->
                assertThat(r)
                    .isInstanceOfSatisfying(
                        CallResult.Unclear.class,
                        u -> {
                          assertThat(u.code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
                          assertThat(u.message()).contains("without a post id");
                        }));
    assertThat(((CallResult.Unclear) results.get(0)).message()).doesNotContain("<html>ok</html>");
    assertThat(((CallResult.Unclear) results.get(2)).message()).contains("200");
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void expiredTokenDisconnectsTheAccount() throws Exception {
    server.enqueue(
        answer(
            401,
            "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,"
                + "\"detail\":\"Unauthorized\"}"));

    CallResult result = connector.publish(task("Hello"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
              assertThat(r.message()).contains("401");
            });
    takeOnlyRequest(server);
  }

  @Test
  void mediaIsRefusedBeforeAnyRequest() {
    CallResult result =
        connector.publish(
            task("Look", List.of(new PublishTask.Media("https://cdn.example/a.png", "alt")), null),
            access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
              assertThat(r.message()).contains("t_1").contains("1 media");
            });
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void firstCommentIsRefusedBeforeAnyRequest() {
    CallResult result = connector.publish(task("Look", List.of(), "more below"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
              assertThat(r.message()).contains("firstComment");
            });
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileIsUnknownAndSendsNothing() {
    CallResult result = connector.reconcile(task("Lost answer"), access());

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Unknown.class,
            r -> assertThat(r.message()).contains("twitter").contains("t_1").contains("acc_x"));
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void secretAppearsInNoMessageAcrossFailureAnswers() {
    List<MockResponse> answers =
        List.of(
            answer(401, "{\"title\":\"Unauthorized\",\"detail\":\"token " + SECRET + "\"}"),
            answer(
                403, "{\"detail\":\"duplicate content " + SECRET + "\",\"title\":\"Forbidden\"}"),
            answer(
                403,
                "{\"title\":\"Client Forbidden\",\"detail\":\""
                    + SECRET
                    + "\",\"type\":\"https://api.twitter.com/2/problems/client-forbidden\"}"),
            answer(403, "{\"detail\":\"" + SECRET + "\"}"),
            answer(400, "{\"errors\":[{\"message\":\"" + SECRET + " too long\"}]}"),
            answer(400, SECRET),
            answer(429, SECRET),
            answer(500, SECRET),
            answer(503, SECRET).addHeader("Retry-After", "5"),
            answer(201, SECRET),
            answer(201, "{\"data\":{\"id\":\"" + SECRET + "\"}}"),
            answer(302, SECRET),
            noResponse());
    List<String> messages = new ArrayList<>();
    for (MockResponse answer : answers) {
      server.enqueue(answer);
      messages.add(messageOf(() -> connector.publish(task("Hello"), access())));
    }
    messages.add(messageOf(() -> connector.reconcile(task("Hello"), access())));
    messages.add(messageOf(() -> connector.publish(task("Hello", List.of(), "c"), access())));

    assertThat(messages).hasSize(answers.size() + 2).allSatisfy(m -> assertThat(m).isNotBlank());
    assertThat(messages).noneMatch(m -> m.contains(SECRET));
    assertThat(server.getRequestCount()).isEqualTo(answers.size());
  }

  private void assertOnlyRequestIsThePost(String text) throws Exception {
    RecordedRequest request = takeOnlyRequest(server);
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo("/2/tweets");
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + SECRET);
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    JsonNode body = body(request);
    assertThat(body.size()).isEqualTo(1);
    assertThat(body.get("text").asText()).isEqualTo(text);
  }

  private AccountAccess access() {
    Account account =
        new Account(
            "acc_x",
            "alice",
            "twitter",
            "alice_x",
            Account.Status.connected,
            "env:X",
            false,
            server.url("/").toString());
    return ConnectorTestKit.access(account, SECRET);
  }

  private static PublishTask task(String text) {
    return task(text, List.of(), null);
  }

  private static PublishTask task(String text, List<PublishTask.Media> media, String firstComment) {
    return ConnectorTestKit.task("twitter", "acc_x")
        .text(text)
        .media(media)
        .firstComment(firstComment)
        .at(NOW.toEpochMilli(), NOW.plusSeconds(600).toEpochMilli())
        .build();
  }
}

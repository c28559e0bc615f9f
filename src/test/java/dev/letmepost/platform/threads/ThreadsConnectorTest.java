package dev.letmepost.platform.threads;

import static dev.letmepost.platform.ConnectorTestKit.json;
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
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ThreadsConnectorTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);
  private static final String TOKEN = "s3cr3t-value";
  private static final String USER_ID = "17841400000000000";
  private static final String CONTAINER = "17889615691921648";
  private static final String MEDIA = "18039430466618413";

  private MockWebServer server;
  private ThreadsConnector connector;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
    connector =
        new ThreadsConnector(
            PlatformHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(5), CLOCK));
  }

  @AfterEach
  void stop() throws IOException {
    server.shutdown();
  }

  @Test
  void publishesTextAsContainerThenPublishWithBearerToken() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(200, "{\"id\": \"" + MEDIA + "\"}"));

    CallResult result = connector.publish(task("hello Threads & friends"), access(USER_ID));

    assertThat(result).isEqualTo(new CallResult.Published(MEDIA, null));
    RecordedRequest create = take();
    assertThat(create.getMethod()).isEqualTo("POST");
    assertThat(create.getPath()).isEqualTo("/v1.0/" + USER_ID + "/threads");
    assertThat(create.getHeader("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(create.getHeader("Content-Type")).isEqualTo("application/x-www-form-urlencoded");
    assertThat(create.getBody().readUtf8())
        .isEqualTo("media_type=TEXT&text=hello+Threads+%26+friends");
    RecordedRequest publish = take();
    assertThat(publish.getMethod()).isEqualTo("POST");
    assertThat(publish.getPath())
        .isEqualTo("/v1.0/" + USER_ID + "/threads_publish?creation_id=" + CONTAINER);
    assertThat(publish.getHeader("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(publish.getBodySize()).isZero();
    assertThat(create.getRequestLine() + publish.getRequestLine()).doesNotContain(TOKEN);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void absentHandlePostsAsTheTokensUserThroughMe() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(200, "{\"id\": \"" + MEDIA + "\"}"));

    assertThat(connector.publish(task("hi"), access(null)))
        .isEqualTo(new CallResult.Published(MEDIA, null));

    assertThat(take().getPath()).isEqualTo("/v1.0/me/threads");
    assertThat(take().getPath()).isEqualTo("/v1.0/me/threads_publish?creation_id=" + CONTAINER);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void publishesOneImageByUrlOnceItsContainerIsFinished() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(200, "{\"status\": \"FINISHED\", \"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(200, "{\"id\": \"" + MEDIA + "\"}"));

    CallResult result =
        connector.publish(
            task("a cat", List.of(new PublishTask.Media("https://img.example/cat.jpg", "cat"))),
            access(USER_ID));

    assertThat(result).isEqualTo(new CallResult.Published(MEDIA, null));
    RecordedRequest create = take();
    assertThat(create.getPath()).isEqualTo("/v1.0/" + USER_ID + "/threads");
    assertThat(create.getBody().readUtf8())
        .isEqualTo("media_type=IMAGE&image_url=https%3A%2F%2Fimg.example%2Fcat.jpg&text=a+cat");
    RecordedRequest status = take();
    assertThat(status.getMethod()).isEqualTo("GET");
    assertThat(status.getPath()).isEqualTo("/v1.0/" + CONTAINER + "?fields=status,error_message");
    assertThat(status.getHeader("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(take().getPath())
        .isEqualTo("/v1.0/" + USER_ID + "/threads_publish?creation_id=" + CONTAINER);
    assertThat(server.getRequestCount()).isEqualTo(3);
  }

  @Test
  void imageContainerStillInProgressIsNotSentAndNeverPublished() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(200, "{\"status\": \"IN_PROGRESS\", \"id\": \"" + CONTAINER + "\"}"));

    CallResult result = connector.publish(imageTask(), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(((CallResult.NotSent) result).message()).contains("IN_PROGRESS", CONTAINER);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void imageContainerInErrorIsFailedWithThreadsErrorMessage() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(
        json(
            200,
            "{\"status\": \"ERROR\", \"id\": \""
                + CONTAINER
                + "\", \"error_message\": \"UNKNOWN\"}"));

    CallResult result = connector.publish(imageTask(), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) result).message()).contains("ERROR (UNKNOWN)");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void containerTimeoutIsNotSentBecauseNothingWasPublished() throws Exception {
    ThreadsConnector impatient = new ThreadsConnector(timingOutHttp());
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));

    CallResult result = impatient.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    CallResult.NotSent notSent = (CallResult.NotSent) result;
    assertThat(notSent.code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(notSent.message()).contains("no answer within", "publishes nothing");
    assertThat(take().getPath()).isEqualTo("/v1.0/" + USER_ID + "/threads");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void containerConnectionLostAfterSendingIsNotSent() throws Exception {
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void container5xxIsNotSentAndNothingIsPublished() throws Exception {
    server.enqueue(
        json(
            500,
            "{\"error\": {\"message\": \"An unexpected error has occurred. Please retry your"
                + " request later.\", \"type\": \"OAuthException\", \"is_transient\": true,"
                + " \"code\": 2, \"fbtrace_id\": \"AbCdEf\"}}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE);
    assertThat(((CallResult.NotSent) result).message()).contains("500");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void malformedContainerAnswerIsNotSent() throws Exception {
    server.enqueue(json(200, "<html>oops</html>"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void publishTimeoutIsUnclearBecauseThePostMayExist() throws Exception {
    ThreadsConnector impatient = new ThreadsConnector(timingOutHttp());
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));

    assertThatThrownBy(() -> impatient.publish(task("hello"), access(USER_ID)))
        .isInstanceOfSatisfying(
            CallFailure.class,
            e -> {
              assertThat(e.result()).isInstanceOf(CallResult.Unclear.class);
              assertThat(((CallResult.Unclear) e.result()).code())
                  .isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
            });
    take();
    assertThat(take().getPath()).contains("/threads_publish?creation_id=" + CONTAINER);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void publish5xxIsUnclear() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(502, "Bad Gateway"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(((CallResult.Unclear) result).message()).contains("502", CONTAINER);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void malformedPublishAnswerIsUnclear() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(200, "{\"success\": true}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void http429WithRetryAfterIsNotSentWithThatWait() throws Exception {
    server.enqueue(json(429, "{}").addHeader("Retry-After", "120"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
              assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(120));
            });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void graphRateLimitCodeAtPublishIsNotSent() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(
        json(
            400,
            "{\"error\": {\"message\": \"(#4) Application request limit reached\","
                + " \"type\": \"OAuthException\", \"is_transient\": true, \"code\": 4,"
                + " \"fbtrace_id\": \"A1b2\"}}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
              assertThat(r.message()).doesNotContain("Application request limit reached");
              assertThat(r.retryAfter()).isNull();
            });
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void publishingQuotaReachedIsNotSentRateLimited() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(
        json(
            400,
            "{\"error\": {\"message\": \"Application request limit reached\","
                + " \"type\": \"OAuthException\", \"code\": 9, \"error_subcode\": 2207042,"
                + " \"error_user_msg\": \"You have reached the maximum number of posts that is"
                + " allowed to be published in 24 hours.\", \"fbtrace_id\": \"Q9\"}}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void expiredTokenIsAccountDisconnected() throws Exception {
    server.enqueue(
        json(
            400,
            "{\"error\": {\"message\": \"Error validating access token: Session has expired on"
                + " Friday, 27-Feb-26 10:00:00 PST.\", \"type\": \"OAuthException\","
                + " \"code\": 190, \"error_subcode\": 463, \"fbtrace_id\": \"Xy\"}}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).doesNotContain("Session has expired");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void http401AtPublishIsAccountDisconnected() throws Exception {
    server.enqueue(json(200, "{\"id\": \"" + CONTAINER + "\"}"));
    server.enqueue(json(401, "{}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void missingPermissionIsAccountDisconnected() throws Exception {
    server.enqueue(
        json(
            403,
            "{\"error\": {\"message\": \"(#10) Application does not have permission for this"
                + " action\", \"type\": \"OAuthException\", \"code\": 10, \"fbtrace_id\": \"P\"}}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void invalidParameterIsRejectedByPlatform() throws Exception {
    server.enqueue(
        json(
            400,
            "{\"error\": {\"message\": \"(#100) The parameter image_url is required\","
                + " \"type\": \"OAuthException\", \"code\": 100, \"fbtrace_id\": \"Z\"}}"));

    CallResult result = connector.publish(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) result).message()).doesNotContain("image_url is required");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  /** The wording is assumed: Meta documents the 500 limit but not the error's text. */
  @Test
  void textThreadsCountsAsTooLongIsTextTooLong() throws Exception {
    server.enqueue(
        json(
            400,
            "{\"error\": {\"message\": \"(#100) Param text is too long\","
                + " \"type\": \"OAuthException\", \"code\": 100, \"fbtrace_id\": \"L\"}}"));

    CallResult result = connector.publish(task("😀".repeat(200)), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void textOver500CharactersIsRefusedBeforeAnyRequest() {
    CallResult result = connector.publish(task("x".repeat(501)), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
    assertThat(((CallResult.Failed) result).message()).contains("501");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void carouselIsUnsupportedBeforeAnyRequest() {
    PublishTask two =
        task(
            "two",
            List.of(
                new PublishTask.Media("https://img.example/1.jpg", null),
                new PublishTask.Media("https://img.example/2.jpg", null)));

    CallResult result = connector.publish(two, access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(((CallResult.Failed) result).message()).contains("2 media");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void firstCommentIsUnsupportedBeforeAnyRequest() {
    PublishTask withComment =
        ConnectorTestKit.task("threads", "acc_1")
            .ids("t_1", "b_1", "fp")
            .text("hi")
            .firstComment("more")
            .at(1L, 2L)
            .build();

    CallResult result = connector.publish(withComment, access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void handleThatIsNotAUserIdIsAccountNotFoundBeforeAnyRequest() {
    CallResult result = connector.publish(task("hi"), access("@alice/../x"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_NOT_FOUND);
    assertThat(((CallResult.Failed) result).message()).contains("@alice/../x");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileIsUnknownWithoutAnyRequest() {
    CallResult result = connector.reconcile(task("hello"), access(USER_ID));

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains("threads", "t_1", "acc_1");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void secretAppearsInNoMessageOverAllFailureAnswers() throws Exception {
    String echo =
        "{\"error\": {\"message\": \"Malformed access token "
            + TOKEN
            + "\", \"type\": \"OAuthException\", \"code\": 190}}";
    String ok = "{\"id\": \"" + CONTAINER + "\"}";
    List<List<MockResponse>> scenarios =
        List.of(
            List.of(json(400, echo)),
            List.of(json(200, ok), json(400, echo)),
            List.of(json(500, echo)),
            List.of(json(200, ok), json(500, echo)),
            List.of(json(200, "{\"id\": \"" + TOKEN + "/x\"}")),
            List.of(json(200, ok), json(200, "{\"nope\": \"" + TOKEN + "\"}")),
            List.of(json(429, echo)),
            List.of(json(401, echo)),
            List.of(json(403, "{\"error\": {\"message\": \"" + TOKEN + "\", \"code\": 4}}")),
            List.of(json(418, TOKEN)),
            List.of(new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST)),
            List.of(
                json(200, ok),
                new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST)));
    ThreadsConnector impatient = new ThreadsConnector(timingOutHttp());
    List<String> messages = new ArrayList<>();
    for (List<MockResponse> answers : scenarios) {
      answers.forEach(server::enqueue);
      messages.add(outcomeMessage(() -> connector.publish(task("hello"), access(USER_ID))));
    }
    server.enqueue(json(200, ok));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    messages.add(outcomeMessage(() -> impatient.publish(task("hello"), access(USER_ID))));
    messages.add(outcomeMessage(() -> connector.reconcile(task("hello"), access(USER_ID))));

    assertThat(messages).hasSize(scenarios.size() + 2).allSatisfy(m -> assertThat(m).isNotBlank());
    assertThat(messages).noneMatch(m -> m.contains(TOKEN));
    assertThat(String.join("\n", messages)).contains("<access-token>");
  }

  private interface Call {
    CallResult run();
  }

  private static String outcomeMessage(Call call) {
    try {
      CallResult result = call.run();
      assertThat(result).isNotInstanceOf(CallResult.Published.class);
      return result.message();
    } catch (CallFailure e) {
      return e.getMessage() + " | " + e.result().message();
    }
  }

  private RecordedRequest take() throws InterruptedException {
    RecordedRequest request = server.takeRequest(2, TimeUnit.SECONDS);
    assertThat(request).as("a request reached the fake Threads server").isNotNull();
    return request;
  }

  private static PlatformHttp timingOutHttp() {
    return PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK);
  }

  private AccountAccess access(String handle) {
    Account account =
        new Account(
            "acc_1",
            "principal_1",
            "threads",
            handle,
            Account.Status.connected,
            "env:X",
            false,
            server.url("/v1.0").toString());
    return ConnectorTestKit.access(account, TOKEN);
  }

  private static PublishTask imageTask() {
    return task("a cat", List.of(new PublishTask.Media("https://img.example/cat.jpg", null)));
  }

  private static PublishTask task(String text) {
    return task(text, List.of());
  }

  private static PublishTask task(String text, List<PublishTask.Media> media) {
    return ConnectorTestKit.task("threads", "acc_1")
        .ids("t_1", "b_1", "fp_1")
        .text(text)
        .media(media)
        .at(1_772_366_400_000L, 1_772_370_000_000L)
        .build();
  }
}

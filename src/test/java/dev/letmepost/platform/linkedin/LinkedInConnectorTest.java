package dev.letmepost.platform.linkedin;

import static dev.letmepost.platform.ConnectorTestKit.answer;
import static dev.letmepost.platform.ConnectorTestKit.body;
import static dev.letmepost.platform.ConnectorTestKit.messageOf;
import static dev.letmepost.platform.ConnectorTestKit.noResponse;
import static dev.letmepost.platform.ConnectorTestKit.response;
import static dev.letmepost.platform.ConnectorTestKit.status;
import static dev.letmepost.platform.ConnectorTestKit.takeOnlyRequest;
import static dev.letmepost.platform.ConnectorTestKit.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

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

class LinkedInConnectorTest {
  private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String SECRET = "s3cr3t-value";
  private static final String AUTHOR = "urn:li:person:8675309abc";
  private static final String ORIGINAL = "urn:li:share:7141138937766391808";

  /** LinkedIn's 422 for repeated content, as reported from the live API. */
  private static final String DUPLICATE_BODY =
      "{\"errorDetailType\":\"com.linkedin.common.error.BadRequest\",\"message\":"
          + "\"com.linkedin.content.common.exception.BadRequestResponseException: Content is a"
          + " duplicate of "
          + ORIGINAL
          + "\",\"errorDetails\":{\"inputErrors\":[{\"description\":\"Duplicate post is"
          + " detected\",\"input\":{},\"code\":\"DUPLICATE_POST\"}]},\"status\":422}";

  private MockWebServer server;
  private LinkedInConnector connector;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
    connector =
        new LinkedInConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
  }

  @AfterEach
  void stop() throws IOException {
    server.shutdown();
  }

  @Test
  void publishesTextPostAndReturnsTheUrnFromRestliIdHeader() throws Exception {
    server.enqueue(
        status(201)
            .addHeader("x-restli-id", "urn:li:share:7400000000000000001")
            .addHeader("x-linkedin-id", "urn:li:share:7400000000000000001"));

    CallResult result = connector.publish(task("Hello LinkedIn"), access(AUTHOR));

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(
                "urn:li:share:7400000000000000001",
                "https://www.linkedin.com/feed/update/urn:li:share:7400000000000000001"));
    assertOnlyRequestIsThePost(AUTHOR, "Hello LinkedIn");
    assertThat(connector.platform()).isEqualTo(Platform.LINKEDIN);
  }

  @Test
  void organizationUrnIsAnAuthorToo() throws Exception {
    server.enqueue(status(201).addHeader("x-restli-id", "urn:li:ugcPost:7400000000000000002"));

    CallResult result =
        connector.publish(task("From the page"), access("urn:li:organization:2414183"));

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(
                "urn:li:ugcPost:7400000000000000002",
                "https://www.linkedin.com/feed/update/urn:li:ugcPost:7400000000000000002"));
    assertOnlyRequestIsThePost("urn:li:organization:2414183", "From the page");
  }

  @Test
  void escapesEveryLittleTextReservedCharacterInCommentary() throws Exception {
    server.enqueue(status(201).addHeader("x-restli-id", "urn:li:share:1"));
    String text = "Ship (v2) #launch @team [x] {y} <b> *b* _i_ ~s~ a|b c\\d: done.";

    connector.publish(task(text), access(AUTHOR));

    RecordedRequest request = takeOnlyRequest(server);
    assertThat(body(request).get("commentary").asText())
        .isEqualTo(
            "Ship \\(v2\\) \\#launch \\@team \\[x\\] \\{y\\} \\<b\\> \\*b\\* \\_i\\_ \\~s\\~"
                + " a\\|b c\\\\d: done.");
  }

  @Test
  void duplicatePostNamesTheOriginalUrn() throws Exception {
    server.enqueue(response(422, "application/json", DUPLICATE_BODY));

    CallResult result = connector.publish(task("Same again"), access(AUTHOR));

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(ORIGINAL, "https://www.linkedin.com/feed/update/" + ORIGINAL));
    assertOnlyRequestIsThePost(AUTHOR, "Same again");
  }

  @Test
  void duplicatePostWithoutAReadableUrnIsUnknownNeverPublished() throws Exception {
    server.enqueue(
        answer(
            422,
            "{\"message\":\"Content is a duplicate of a recent post\",\"errorDetails\":"
                + "{\"inputErrors\":[{\"code\":\"DUPLICATE_POST\"}]},\"status\":422}"));

    CallResult result = connector.publish(task("Same again"), access(AUTHOR));

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message())
        .contains("422")
        .contains("DUPLICATE_POST")
        .doesNotContain("Content is a duplicate of a recent post");
    takeOnlyRequest(server);
  }

  @Test
  void createdWithoutRestliIdIsUnclearMalformed() throws Exception {
    server.enqueue(status(201));

    CallResult result = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(((CallResult.Unclear) result).message()).contains("201").contains("x-restli-id");
    takeOnlyRequest(server);
  }

  @Test
  void successWithSomethingOtherThanAPostUrnIsUnclearMalformed() throws Exception {
    server.enqueue(status(201).addHeader("x-restli-id", "<html>"));
    server.enqueue(answer(200, "{\"id\":\"what\"}"));

    CallResult notAnUrn = connector.publish(task("Hello"), access(AUTHOR));
    CallResult notCreated = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(notAnUrn)
        .isEqualTo(
            new CallResult.Unclear(
                ErrorCodes.MALFORMED_RESPONSE,
                "linkedin POST "
                    + server.getHostName()
                    + "/rest/posts answered 201 with x-restli-id '<html>', which is not a post URN"));
    assertThat(notCreated).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) notCreated).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(((CallResult.Unclear) notCreated).message()).contains("200").doesNotContain("what");
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void throttledIsNotSentWithTheRetryAfterWait() throws Exception {
    server.enqueue(
        answer(
                429,
                "{\"serviceErrorCode\":101,\"message\":\"Resource level throttle limit for calls to"
                    + " this resource is reached.\",\"status\":429}")
            .addHeader("Retry-After", "120"));
    server.enqueue(status(429));

    CallResult withHint = connector.publish(task("Hello"), access(AUTHOR));
    CallResult withoutHint = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(withHint).isInstanceOf(CallResult.NotSent.class);
    CallResult.NotSent notSent = (CallResult.NotSent) withHint;
    assertThat(notSent.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
    assertThat(notSent.retryAfter()).isEqualTo(Duration.ofSeconds(120));
    assertThat(notSent.message()).contains("429").doesNotContain("Resource level throttle");
    assertThat(withoutHint)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
              assertThat(r.retryAfter()).isNull();
            });
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void serverErrorAfterSendingIsUnclear() throws Exception {
    server.enqueue(answer(500, "{\"message\":\"Internal Server Error\",\"status\":500}"));
    server.enqueue(status(504));

    CallResult internal = connector.publish(task("Hello"), access(AUTHOR));
    CallResult gateway = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(internal)
        .isInstanceOfSatisfying(
            CallResult.Unclear.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
              assertThat(r.message()).contains("500").doesNotContain("Internal Server Error");
            });
    assertThat(gateway)
        .isInstanceOfSatisfying(
            CallResult.Unclear.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_ERROR));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void unansweredRequestTimesOutAsUnclear() throws Exception {
    server.enqueue(noResponse());

    CallFailure failure =
        catchThrowableOfType(
            CallFailure.class, () -> connector.publish(task("Hello"), access(AUTHOR)));

    assertThat(failure).isNotNull();
    assertThat(failure.result())
        .isInstanceOfSatisfying(
            CallResult.Unclear.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_TIMEOUT));
    assertOnlyRequestIsThePost(AUTHOR, "Hello");
  }

  @Test
  void revokedTokenDisconnectsTheAccount() throws Exception {
    server.enqueue(
        answer(
            401,
            "{\"serviceErrorCode\":65601,\"code\":\"REVOKED_ACCESS_TOKEN\",\"message\":\"The"
                + " token used in the request has been revoked by the user\",\"status\":401}"));

    CallResult result = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
              assertThat(r.message()).contains("401").doesNotContain("REVOKED_ACCESS_TOKEN");
            });
    takeOnlyRequest(server);
  }

  @Test
  void missingPostingPermissionDisconnectsTheAccount() throws Exception {
    server.enqueue(
        answer(
            403,
            "{\"status\":403,\"serviceErrorCode\":100,\"code\":\"ACCESS_DENIED\",\"message\":"
                + "\"Not enough permissions to access: partnerApiPostsExternal.CREATE.20260701\"}"));

    CallResult result = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
              assertThat(r.message())
                  .contains("403")
                  .doesNotContain(
                      "Not enough permissions to access: partnerApiPostsExternal.CREATE");
            });
    takeOnlyRequest(server);
  }

  @Test
  void commentaryOverTheLimitIsTextTooLong() throws Exception {
    server.enqueue(
        answer(
            400,
            "{\"errorDetailType\":\"com.linkedin.common.error.BadRequest\",\"message\":"
                + "\"com.linkedin.content.common.exception.BadRequestResponseException:"
                + " ShareCommentary text length (3012 characters) exceeded the maximum allowed"
                + " (3000 characters)\",\"errorDetails\":{\"inputErrors\":[{\"description\":"
                + "\"Size of array cannot be higher than the maxLength\",\"code\":"
                + "\"FIELD_ARRAY_SIZE_TOO_HIGH\",\"maxLength\":3000}]},\"status\":400}"));

    CallResult result = connector.publish(task("x".repeat(3012)), access(AUTHOR));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
              assertThat(r.message()).contains("400").doesNotContain("3012 characters");
            });
    takeOnlyRequest(server);
  }

  @Test
  void otherValidationErrorIsRejectedNamingLinkedInsMessage() throws Exception {
    server.enqueue(
        answer(
            422, "{\"message\":\"ERROR :: /visibility :: invalid enum value\\n\",\"status\":422}"));

    CallResult result = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
              assertThat(r.message()).contains("422").doesNotContain("/visibility :: invalid enum");
            });
    takeOnlyRequest(server);
  }

  @Test
  void sunsetApiVersionIsRejectedNamingTheVersion() throws Exception {
    server.enqueue(
        answer(
            426,
            "{\"status\":426,\"code\":\"NONEXISTENT_VERSION\",\"message\":\"Requested version"
                + " 202607 is not active\"}"));

    CallResult result = connector.publish(task("Hello"), access(AUTHOR));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
              assertThat(r.message()).contains("426").contains(LinkedInConnector.LINKEDIN_VERSION);
            });
    takeOnlyRequest(server);
  }

  @Test
  void mediaIsRefusedBeforeAnyRequest() {
    PublishTask withMedia =
        task("Look", List.of(new PublishTask.Media("https://cdn.example/a.png", "a cat")), null);

    CallResult result = connector.publish(withMedia, access(AUTHOR));

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
    CallResult result =
        connector.publish(task("Look", List.of(), "link in comments"), access(AUTHOR));

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
  void handleThatIsNotAnAuthorUrnIsRejectedBeforeAnyRequest() {
    CallResult result = connector.publish(task("Hello"), access("alice-smith"));

    assertThat(result)
        .isEqualTo(
            new CallResult.Failed(
                ErrorCodes.REJECTED_BY_PLATFORM,
                "account acc_li has handle 'alice-smith', which is not a LinkedIn author URN"
                    + " (urn:li:person:… or urn:li:organization:…)"));
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileFindsTheOriginalThroughDuplicateDetection() throws Exception {
    server.enqueue(answer(422, DUPLICATE_BODY));

    CallResult result = connector.reconcile(task("Lost answer"), access(AUTHOR));

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(ORIGINAL, "https://www.linkedin.com/feed/update/" + ORIGINAL));
    assertOnlyRequestIsThePost(AUTHOR, "Lost answer");
  }

  @Test
  void reconcilePublishesOnceWhenTheFirstAttemptNeverLanded() throws Exception {
    server.enqueue(status(201).addHeader("x-restli-id", "urn:li:share:7400000000000000003"));

    CallResult result = connector.reconcile(task("Never landed"), access(AUTHOR));

    assertThat(result)
        .isEqualTo(
            new CallResult.Published(
                "urn:li:share:7400000000000000003",
                "https://www.linkedin.com/feed/update/urn:li:share:7400000000000000003"));
    assertOnlyRequestIsThePost(AUTHOR, "Never landed");
  }

  @Test
  void reconcileRefusedByLinkedInIsUnknownNotFailed() throws Exception {
    server.enqueue(
        answer(
            401,
            "{\"serviceErrorCode\":65600,\"message\":\"Invalid access token\",\"status\":401}"));
    server.enqueue(status(429).addHeader("Retry-After", "30"));

    CallResult refused = connector.reconcile(task("Hello"), access(AUTHOR));
    CallResult throttled = connector.reconcile(task("Hello"), access(AUTHOR));

    assertThat(refused)
        .isInstanceOfSatisfying(
            CallResult.Unknown.class,
            r ->
                assertThat(r.message())
                    .contains("t_1")
                    .contains(ErrorCodes.ACCOUNT_DISCONNECTED)
                    .doesNotContain("Invalid access token"));
    assertThat(throttled)
        .isEqualTo(
            new CallResult.NotSent(
                ErrorCodes.RATE_LIMITED,
                "linkedin POST "
                    + server.getHostName()
                    + "/rest/posts answered 429 Too Many Requests",
                Duration.ofSeconds(30)));
    assertThat(server.getRequestCount()).isEqualTo(2);
  }

  @Test
  void reconcileOfATaskThatIsNeverSentIsAbsent() {
    PublishTask withMedia =
        task("Look", List.of(new PublishTask.Media("https://cdn.example/a.png", null)), null);

    CallResult result = connector.reconcile(withMedia, access(AUTHOR));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Absent.class,
            r -> assertThat(r.message()).contains("t_1").contains("media"));
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void secretAppearsInNoMessageAcrossFailureAnswers() {
    List<MockResponse> answers =
        List.of(
            answer(
                401,
                "{\"serviceErrorCode\":65600,\"message\":\"Invalid access token "
                    + SECRET
                    + "\",\"status\":401}"),
            answer(403, "{\"message\":\"Bearer " + SECRET + " may not post\",\"status\":403}"),
            answer(422, "{\"message\":\"" + SECRET + "\"}"),
            answer(422, "{\"message\":\"duplicate " + SECRET + "\",\"code\":\"DUPLICATE_POST\"}"),
            answer(400, SECRET),
            answer(429, SECRET),
            answer(500, SECRET),
            answer(503, SECRET).addHeader("Retry-After", "5"),
            answer(201, SECRET),
            status(201).addHeader("x-restli-id", SECRET),
            answer(426, SECRET),
            noResponse());
    List<String> messages = new ArrayList<>();
    for (MockResponse answer : answers) {
      server.enqueue(answer.clone());
      messages.add(messageOf(() -> connector.publish(task("Hello"), access(AUTHOR))));
      server.enqueue(answer.clone());
      messages.add(messageOf(() -> connector.reconcile(task("Hello"), access(AUTHOR))));
    }
    messages.add(messageOf(() -> connector.publish(task("Hello"), access("not-an-urn"))));
    messages.add(
        messageOf(() -> connector.reconcile(task("Hello", List.of(), "c"), access(AUTHOR))));

    assertThat(messages)
        .hasSize(answers.size() * 2 + 2)
        .allSatisfy(m -> assertThat(m).isNotBlank());
    assertThat(messages).noneMatch(m -> m.contains(SECRET));
    assertThat(server.getRequestCount()).isEqualTo(answers.size() * 2);
  }

  private void assertOnlyRequestIsThePost(String author, String text) throws Exception {
    RecordedRequest request = takeOnlyRequest(server);
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo("/rest/posts");
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + SECRET);
    assertThat(request.getHeader("LinkedIn-Version")).isEqualTo("202607");
    assertThat(request.getHeader("X-Restli-Protocol-Version")).isEqualTo("2.0.0");
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(body(request))
        .isEqualTo(
            tree(
                "{\"author\":\""
                    + author
                    + "\",\"commentary\":\""
                    + text
                    + "\",\"visibility\":\"PUBLIC\",\"distribution\":{\"feedDistribution\":"
                    + "\"MAIN_FEED\",\"targetEntities\":[],\"thirdPartyDistributionChannels\":[]},"
                    + "\"lifecycleState\":\"PUBLISHED\",\"isReshareDisabledByAuthor\":false}"));
  }

  private AccountAccess access(String handle) {
    Account account =
        new Account(
            "acc_li",
            "alice",
            "linkedin",
            handle,
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
    return ConnectorTestKit.task("linkedin", "acc_li")
        .text(text)
        .media(media)
        .firstComment(firstComment)
        .at(NOW.toEpochMilli(), NOW.plusSeconds(600).toEpochMilli())
        .build();
  }
}

package dev.letmepost.platform.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.letmepost.platform.sandbox.SandboxPlatform.AcceptedPost;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.PublishTask.Media;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox connector against a real {@link SandboxServer}, and its reading of bad answers. */
class SandboxConnectorTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final AccountAccess ACCOUNT =
      new AccountAccess(
          new Account(
              "acc_demo_mastodon",
              "key_demo",
              "mastodon",
              "@demo",
              Account.Status.connected,
              null,
              true),
          null);

  @TempDir Path dir;
  private SandboxServer server;
  private SandboxConnector connector;

  @BeforeEach
  void start() {
    server = SandboxServer.start(new SandboxPlatform(dir, CLOCK), "127.0.0.1", 0, Faults.NONE);
    connector = connector(server.uri());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void publishSendsTheWholeTaskAndAnswersPublishedThenTheSameIdOnRedelivery() {
    PublishTask task = task("task_1", "pik_1");

    CallResult result = connector.publish(task, ACCOUNT);
    CallResult redelivered = connector.publish(task, ACCOUNT);

    List<AcceptedPost> posts = SandboxPlatform.readPosts(dir);
    assertThat(posts)
        .containsExactly(
            new AcceptedPost(
                "task_1",
                "pik_1",
                "acc_demo_mastodon",
                "mastodon",
                "batch_1",
                "hello",
                List.of(new Media("https://example.com/a.png", "alt")),
                "more below",
                posts.get(0).postId(),
                NOW));
    CallResult.Published expected =
        new CallResult.Published(
            posts.get(0).postId(), "sandbox://acc_demo_mastodon/" + posts.get(0).postId());
    assertThat(result).isEqualTo(expected);
    assertThat(redelivered).isEqualTo(expected);
    assertThat(connector.platform()).isEqualTo(Platform.MASTODON);
  }

  @Test
  void hangupIsAnUnclearCallFailureAndReconcileFindsThePostWithTheSameId() {
    server.faults(Faults.NONE.withHangupRate(1));
    PublishTask task = task("task_1", "pik_1");

    CallFailure failure =
        catchThrowableOfType(() -> connector.publish(task, ACCOUNT), CallFailure.class);

    assertThat(failure).isNotNull();
    assertThat(failure.result())
        .isInstanceOfSatisfying(
            CallResult.Unclear.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_TIMEOUT));
    String saved = SandboxPlatform.readPosts(dir).get(0).postId();
    assertThat(connector.reconcile(task, ACCOUNT))
        .isEqualTo(new CallResult.Published(saved, "sandbox://acc_demo_mastodon/" + saved));
    assertThat(SandboxPlatform.readPosts(dir)).hasSize(1);
  }

  @Test
  void serverErrorIsUnclearAndReconcileProvesTheKeyAbsentSoPublishingAgainPostsOnce() {
    server.faults(Faults.NONE.withErrorRate(1));
    PublishTask task = task("task_1", "pik_1");

    CallResult result = connector.publish(task, ACCOUNT);

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.Unclear.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
              assertThat(r.message()).contains("500", "task_1");
            });
    assertThat(connector.reconcile(task, ACCOUNT))
        .isInstanceOfSatisfying(
            CallResult.Absent.class, r -> assertThat(r.message()).contains("pik_1"));

    server.faults(Faults.NONE);
    assertThat(connector.publish(task, ACCOUNT)).isInstanceOf(CallResult.Published.class);
    assertThat(SandboxPlatform.readPosts(dir)).hasSize(1);
  }

  @Test
  void rateLimitIsNotSentWithTheOneSecondRetryAfter() {
    server.faults(Faults.NONE.withRateLimitRate(1));

    CallResult result = connector.publish(task("task_1", "pik_1"), ACCOUNT);

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
              assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(1));
            });
    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
  }

  @Test
  void rejectedContentIsFailedRejectedByPlatformNamingTheField() {
    PublishTask task = task("task_1", "pik_1", "myspace");

    assertThat(connector.publish(task, ACCOUNT))
        .isInstanceOfSatisfying(
            CallResult.Failed.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
              assertThat(r.message()).contains("400");
            });
    assertThat(SandboxPlatform.readPosts(dir)).isEmpty();
  }

  @Test
  void lookupDisabledMakesReconcileUnknown() {
    connector.publish(task("task_1", "pik_1"), ACCOUNT);
    server.faults(Faults.NONE.withLookup(false));

    assertThat(connector.reconcile(task("task_1", "pik_1"), ACCOUNT))
        .isInstanceOfSatisfying(
            CallResult.Unknown.class, r -> assertThat(r.message()).contains("task_1"));
  }

  @Test
  void serverDownIsANotSentPlatformUnavailableFailureAndReconcileNotSent() {
    URI gone = server.uri();
    server.close();
    SandboxConnector fresh = connector(gone);
    PublishTask task = task("task_1", "pik_1");

    CallFailure failure =
        catchThrowableOfType(() -> fresh.publish(task, ACCOUNT), CallFailure.class);

    assertThat(failure).isNotNull();
    assertThat(failure.result())
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE));
    assertThat(fresh.reconcile(task, ACCOUNT))
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCodes.PLATFORM_UNAVAILABLE));
  }

  @Test
  void unreadableAnswersAreUnclearOnPublishAndNotSentOnReconcile() throws Exception {
    try (MockWebServer fake = new MockWebServer()) {
      fake.enqueue(new MockResponse().setResponseCode(201).setBody("<html>ok</html>"));
      fake.enqueue(new MockResponse().setResponseCode(200).setBody("{\"id\":42}"));
      fake.enqueue(new MockResponse().setResponseCode(404).setBody("Not Found"));
      fake.enqueue(new MockResponse().setResponseCode(501).setBody("{}"));
      fake.start();
      SandboxConnector toFake = connector(fake.url("/base/").uri());
      PublishTask task = task("task_1", "pik 1/2");

      assertThat(toFake.publish(task, ACCOUNT))
          .isInstanceOfSatisfying(
              CallResult.Unclear.class,
              r -> assertThat(r.code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE));
      assertThat(toFake.reconcile(task, ACCOUNT))
          .isInstanceOfSatisfying(
              CallResult.NotSent.class,
              r -> assertThat(r.code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE));
      assertThat(toFake.reconcile(task, ACCOUNT))
          .as("a 404 that does not say not_found proves nothing")
          .isInstanceOf(CallResult.NotSent.class);
      assertThat(toFake.reconcile(task, ACCOUNT))
          .as("a 501 that does not say lookup_disabled proves nothing")
          .isInstanceOf(CallResult.NotSent.class);

      RecordedRequest post = fake.takeRequest();
      assertThat(post.getMethod()).isEqualTo("POST");
      assertThat(post.getPath()).isEqualTo("/base/v1/accounts/acc_demo_mastodon/posts");
      assertThat(post.getHeader("Idempotency-Key")).isEqualTo("pik 1/2");
      assertThat(post.getHeader("Content-Type")).isEqualTo("application/json");
      assertThat(post.getBody().readUtf8())
          .isEqualTo(
              "{\"taskId\":\"task_1\",\"batchId\":\"batch_1\",\"platform\":\"mastodon\","
                  + "\"text\":\"hello\",\"media\":[{\"url\":\"https://example.com/a.png\","
                  + "\"altText\":\"alt\"}],\"firstComment\":\"more below\"}");
      RecordedRequest lookup = fake.takeRequest();
      assertThat(lookup.getMethod()).isEqualTo("GET");
      assertThat(lookup.getPath()).isEqualTo("/base/v1/posts/by-key/pik%201%2F2");
    }
  }

  /**
   * The connector reads answers as a client should: fields it does not know are ignored, but a
   * number where the answer has a string is no post id.
   */
  @Test
  void answersMayCarryUnknownFieldsButANumberIsNoPostId() throws Exception {
    try (MockWebServer fake = new MockWebServer()) {
      fake.enqueue(
          new MockResponse()
              .setResponseCode(201)
              .setBody("{\"id\":\"sbx_1\",\"uri\":\"sandbox://a/sbx_1\",\"likes\":3}"));
      fake.enqueue(
          new MockResponse()
              .setResponseCode(201)
              .setBody("{\"id\":42,\"uri\":\"sandbox://a/42\"}"));
      fake.enqueue(
          new MockResponse()
              .setResponseCode(404)
              .setBody("{\"error\":{\"code\":\"not_found\",\"message\":\"m\",\"hint\":\"h\"}}"));
      fake.start();
      SandboxConnector toFake = connector(fake.url("/").uri());
      PublishTask task = task("task_1", "pik_1");

      assertThat(toFake.publish(task, ACCOUNT))
          .isEqualTo(new CallResult.Published("sbx_1", "sandbox://a/sbx_1"));
      assertThat(toFake.publish(task, ACCOUNT))
          .isInstanceOfSatisfying(
              CallResult.Unclear.class,
              r -> assertThat(r.code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE));
      assertThat(toFake.reconcile(task, ACCOUNT)).isInstanceOf(CallResult.Absent.class);
    }
  }

  private static SandboxConnector connector(URI uri) {
    return new SandboxConnector(
        Platform.MASTODON,
        PlatformHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(5), CLOCK),
        uri);
  }

  private static PublishTask task(String taskId, String key) {
    return task(taskId, key, "mastodon");
  }

  private static PublishTask task(String taskId, String key, String platform) {
    return new PublishTask(
        taskId,
        "batch_1",
        "fp_1",
        NOW.toEpochMilli(),
        0,
        "acc_demo_mastodon",
        "key_alice",
        platform,
        key,
        "hello",
        List.of(new Media("https://example.com/a.png", "alt")),
        "more below",
        NOW.plusSeconds(60).toEpochMilli());
  }
}

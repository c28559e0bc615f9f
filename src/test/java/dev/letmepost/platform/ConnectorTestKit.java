package dev.letmepost.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.Secret;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;

/**
 * What the connector tests share: tasks, account access, fake-server answers, the requests that
 * went out and their bodies, and what a call tells its caller.
 */
public final class ConnectorTestKit {
  private ConnectorTestKit() {}

  /** A task for {@code accountId} on {@code platform}; see {@link TaskBuilder} for the defaults. */
  public static TaskBuilder task(String platform, String accountId) {
    return new TaskBuilder(platform, accountId);
  }

  /** {@code account} with {@code secret} as the value of its credentials reference. */
  public static AccountAccess access(Account account, String secret) {
    return new AccountAccess(account, new Secret(account.credentials(), secret));
  }

  /** An answer of the fake platform with {@code status}, a JSON content type and {@code body}. */
  public static MockResponse json(int status, String body) {
    return response(status, "application/json; charset=utf-8", body);
  }

  /** An answer of the fake platform. */
  public static MockResponse response(int status, String contentType, String body) {
    return new MockResponse()
        .setResponseCode(status)
        .setHeader("Content-Type", contentType)
        .setBody(body);
  }

  /** An answer of the fake platform with {@code status}, no body and no content type. */
  public static MockResponse status(int status) {
    return new MockResponse().setResponseCode(status);
  }

  /**
   * An answer of the fake platform with {@code status} and {@code body} but no content type, as
   * some platforms send their errors.
   */
  public static MockResponse answer(int status, String body) {
    return status(status).setBody(body);
  }

  /** No answer at all: the fake platform reads the request and never responds. */
  public static MockResponse noResponse() {
    return new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE);
  }

  /** The one request that went out to {@code server}; fails when none or more than one did. */
  public static RecordedRequest takeOnlyRequest(MockWebServer server) throws InterruptedException {
    RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS);
    assertThat(request).as("the request that went out").isNotNull();
    assertThat(server.getRequestCount()).as("requests that went out").isEqualTo(1);
    return request;
  }

  /**
   * Everything a call tells its caller, as one string: its result, or a {@link CallFailure}'s
   * message and result (to assert that a secret appears in none).
   */
  public static String messageOf(Supplier<CallResult> call) {
    try {
      return String.valueOf(call.get());
    } catch (CallFailure failure) {
      return failure.getMessage() + " | " + failure.result();
    }
  }

  /** The JSON body the connector sent. */
  public static JsonNode body(RecordedRequest request) throws IOException {
    return tree(request.getBody().readUtf8());
  }

  public static JsonNode tree(String json) throws IOException {
    return Json.MAPPER.readTree(json);
  }

  /**
   * A {@link PublishTask}: task {@code t_1} of batch {@code batch_1}, fingerprint {@code fp_1},
   * target 0, principal {@code key_alice}, platform key {@code pik_1}, no media, no first comment;
   * text and times as set.
   */
  public static final class TaskBuilder {
    private final String platform;
    private final String accountId;
    private String taskId = "t_1";
    private String batchId = "batch_1";
    private String fingerprint = "fp_1";
    private String key = "pik_1";
    private String text;
    private List<PublishTask.Media> media = List.of();
    private String firstComment;
    private long recordedAt;
    private long deadline;

    private TaskBuilder(String platform, String accountId) {
      this.platform = platform;
      this.accountId = accountId;
    }

    public TaskBuilder ids(String taskId, String batchId, String fingerprint) {
      this.taskId = taskId;
      this.batchId = batchId;
      this.fingerprint = fingerprint;
      return this;
    }

    public TaskBuilder key(String key) {
      this.key = key;
      return this;
    }

    public TaskBuilder text(String text) {
      this.text = text;
      return this;
    }

    public TaskBuilder media(List<PublishTask.Media> media) {
      this.media = media;
      return this;
    }

    public TaskBuilder firstComment(String firstComment) {
      this.firstComment = firstComment;
      return this;
    }

    /** Recorded at and deadline, in epoch ms. */
    public TaskBuilder at(long recordedAt, long deadline) {
      this.recordedAt = recordedAt;
      this.deadline = deadline;
      return this;
    }

    public PublishTask build() {
      return new PublishTask(
          taskId,
          batchId,
          fingerprint,
          recordedAt,
          0,
          accountId,
          "key_alice",
          platform,
          key,
          text,
          media,
          firstComment,
          deadline);
    }
  }
}

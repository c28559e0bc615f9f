package dev.letmepost.platform;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.Secret;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.util.List;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.RecordedRequest;

/** What the connector tests share: tasks, account access, fake-server answers, request bodies. */
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

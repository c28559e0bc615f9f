package dev.letmepost.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One target of a batch to publish: the value the ledger writes to {@code publish.<platform>},
 * keyed by account id. Publishers answer it with exactly one {@link TargetOutcome}.
 *
 * @param fingerprint the request fingerprint (hex), the key of the outcome
 * @param recordedAt the replay record's window time (its file time), in epoch ms: locates the
 *     record
 * @param targetIndex position of this target in the request's {@code targets}
 * @param principal the API key id the batch was made for: the publisher re-checks, just before each
 *     call, that the account still belongs to it (an account reassigned to another principal since
 *     the fan-out must not post for the wrong tenant)
 * @param platformIdempotencyKey stable per target: the same on every delivery of this task
 * @param deadline epoch ms after which the task must not be attempted
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PublishTask(
    String taskId,
    String batchId,
    String fingerprint,
    long recordedAt,
    int targetIndex,
    String accountId,
    String principal,
    String platform,
    String platformIdempotencyKey,
    String text,
    List<Media> media,
    String firstComment,
    long deadline) {

  /** One media attachment, by URL. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Media(String url, String altText) {}

  public PublishTask {
    Account.requireText(taskId, "taskId");
    Account.requireText(batchId, "batchId");
    Account.requireText(fingerprint, "fingerprint");
    Account.requireText(accountId, "accountId");
    Account.requireText(principal, "principal");
    Account.requireText(platform, "platform");
    Account.requireText(platformIdempotencyKey, "platformIdempotencyKey");
    media = media == null ? List.of() : List.copyOf(media);
  }

  /** This task with the post content, for a scheduled batch that kept its content once. */
  public PublishTask withContent(String newText, List<Media> newMedia, String newFirstComment) {
    return with(newText, newMedia, newFirstComment, deadline);
  }

  /** This task with its deadline set, for a scheduled batch released now. */
  public PublishTask withDeadline(long newDeadline) {
    return with(text, media, firstComment, newDeadline);
  }

  /** This task (the same ids, target and account) with the given content and deadline. */
  private PublishTask with(
      String newText, List<Media> newMedia, String newFirstComment, long newDeadline) {
    return new PublishTask(
        taskId,
        batchId,
        fingerprint,
        recordedAt,
        targetIndex,
        accountId,
        principal,
        platform,
        platformIdempotencyKey,
        newText,
        newMedia,
        newFirstComment,
        newDeadline);
  }
}

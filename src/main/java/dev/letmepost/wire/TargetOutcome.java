package dev.letmepost.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * What became of one {@link PublishTask}: the value publishers write to the target-outcomes topic,
 * keyed by the task's fingerprint so that it meets the batch's replay record.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TargetOutcome(
    String taskId,
    String batchId,
    String fingerprint,
    long recordedAt,
    int targetIndex,
    Status status,
    String postId,
    String uri,
    TargetError error) {

  /** A target's final state, as the envelope shows it. */
  public enum Status {
    published,
    failed,
    unknown
  }

  public TargetOutcome {
    Account.requireText(taskId, "taskId");
    Account.requireText(batchId, "batchId");
    Account.requireText(fingerprint, "fingerprint");
    Objects.requireNonNull(status, "status");
    if (status != Status.published && error == null) {
      throw new IllegalArgumentException("a " + status + " outcome needs an error");
    }
  }

  public static TargetOutcome published(PublishTask task, String postId, String uri) {
    return of(task, Status.published, postId, uri, null);
  }

  public static TargetOutcome failed(PublishTask task, TargetError error) {
    return of(task, Status.failed, null, null, error);
  }

  public static TargetOutcome unknown(PublishTask task, String message) {
    return of(task, Status.unknown, null, null, new TargetError("outcome_unknown", message, null));
  }

  /** {@code task}'s outcome: its ids, time and target index, with what became of it. */
  private static TargetOutcome of(
      PublishTask task, Status status, String postId, String uri, TargetError error) {
    return new TargetOutcome(
        task.taskId(),
        task.batchId(),
        task.fingerprint(),
        task.recordedAt(),
        task.targetIndex(),
        status,
        postId,
        uri,
        error);
  }
}

package dev.letmepost.ledger;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.letmepost.command.Bytes;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The replay record of one request fingerprint for one TTL period: the value of the ledger's window
 * store, filed under {@link #windowTime()}.
 *
 * <p>It holds what a retry is compared with (body hash), what it is answered with (the recorded
 * status and body bytes, set once), the batch's per-target progress, and the retries waiting for a
 * running batch.
 *
 * @param firstSeen broker time of the first request (see {@link LedgerClock#brokerTime}): the TTL
 *     counts from it
 * @param filedAt the window-store time the record is filed under ({@link LedgerClock#fileTime});
 *     publish tasks carry it as their {@code recordedAt} to find the record again
 * @param scheduledAt epoch ms the batch is due, or null for "now"
 * @param deadline epoch ms (ledger clock) after which open targets end unknown; 0 while a scheduled
 *     batch has not been released
 * @param waiters request ids of retries waiting for the answer
 * @param pending the tasks of a scheduled batch, kept until its release, without their content
 * @param content the post content of a scheduled batch, kept once for all its pending tasks
 * @param responseStatus the recorded answer's status, null until answered
 * @param response the recorded answer's exact body bytes, null until answered
 * @param completedAt epoch ms when every target had an outcome, null while running
 * @param canceledAt epoch ms (broker time of the cancel) when the batch was canceled before its
 *     release, else null
 * @param retryOf the batch this one retries the failed targets of, else null
 * @param retries the batch that retries this one's failed targets: at most one, since a retry takes
 *     over every failed retryable target at once and a later retry of this batch is refused naming
 *     it ({@link DecideAction}); records of earlier versions may list more, in order, and are never
 *     added to
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record LedgerRecord(
    String batchId,
    String requestId,
    String principal,
    String idempotencyKey,
    String bodySha256,
    long firstSeen,
    long filedAt,
    Long scheduledAt,
    long deadline,
    List<TargetState> targets,
    List<String> waiters,
    List<PublishTask> pending,
    PostContent content,
    Integer responseStatus,
    byte[] response,
    Long completedAt,
    Long canceledAt,
    String retryOf,
    List<String> retries) {

  /** One target's progress; {@code status} null while its outcome is open. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record TargetState(
      String accountId,
      String platform,
      String taskId,
      TargetOutcome.Status status,
      String postId,
      String uri,
      TargetError error) {

    @JsonIgnore
    boolean open() {
      return status == null;
    }

    TargetState withOutcome(TargetOutcome.Status s, String post, String link, TargetError e) {
      return new TargetState(accountId, platform, taskId, s, post, link, e);
    }
  }

  LedgerRecord {
    Objects.requireNonNull(batchId, "batchId");
    targets = List.copyOf(targets);
    waiters = waiters == null ? List.of() : List.copyOf(waiters);
    pending = pending == null ? List.of() : List.copyOf(pending);
    retries = retries == null ? List.of() : List.copyOf(retries);
  }

  /** The post content of a scheduled batch, kept once rather than in each pending task. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record PostContent(String text, List<PublishTask.Media> media, String firstComment) {}

  /** The window-store time of this record; records written before filedAt existed use firstSeen. */
  @JsonIgnore
  long windowTime() {
    return filedAt != 0 ? filedAt : firstSeen;
  }

  @JsonIgnore
  boolean answered() {
    return response != null;
  }

  @JsonIgnore
  boolean complete() {
    return completedAt != null;
  }

  @JsonIgnore
  boolean released() {
    return deadline != 0;
  }

  /** When the punctuator must next look at this record: its deadline, or its schedule. */
  @JsonIgnore
  long due() {
    return released() ? deadline : scheduledAt;
  }

  LedgerRecord withWaiter(String requestId) {
    List<String> w = new ArrayList<>(waiters);
    w.add(requestId);
    return new LedgerRecord(
        batchId,
        this.requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        deadline,
        targets,
        w,
        pending,
        content,
        responseStatus,
        response,
        completedAt,
        canceledAt,
        retryOf,
        retries);
  }

  LedgerRecord withTarget(int index, TargetState target) {
    List<TargetState> t = new ArrayList<>(targets);
    t.set(index, target);
    return withTargets(t);
  }

  LedgerRecord withTargets(List<TargetState> t) {
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        deadline,
        t,
        waiters,
        pending,
        content,
        responseStatus,
        response,
        completedAt,
        canceledAt,
        retryOf,
        retries);
  }

  LedgerRecord released(long newDeadline) {
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        newDeadline,
        targets,
        waiters,
        List.of(),
        content,
        responseStatus,
        response,
        completedAt,
        canceledAt,
        retryOf,
        retries);
  }

  LedgerRecord answered(int status, byte[] body) {
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        deadline,
        targets,
        List.of(),
        pending,
        content,
        status,
        body,
        completedAt,
        canceledAt,
        retryOf,
        retries);
  }

  LedgerRecord completed(long at) {
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        deadline,
        targets,
        waiters,
        pending,
        content,
        responseStatus,
        response,
        at,
        canceledAt,
        retryOf,
        retries);
  }

  /** The batch canceled at {@code at}: its pending tasks dropped, its content kept no longer. */
  LedgerRecord canceled(long at) {
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        deadline,
        targets,
        waiters,
        List.of(),
        null,
        responseStatus,
        response,
        completedAt,
        at,
        retryOf,
        retries);
  }

  /** The batch due at {@code newScheduledAt} instead. */
  LedgerRecord rescheduled(long newScheduledAt) {
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        newScheduledAt,
        deadline,
        targets,
        waiters,
        pending,
        content,
        responseStatus,
        response,
        completedAt,
        canceledAt,
        retryOf,
        retries);
  }

  /** The batch with {@code retryBatchId} added to its retries. */
  LedgerRecord withRetry(String retryBatchId) {
    List<String> r = new ArrayList<>(retries);
    r.add(retryBatchId);
    return new LedgerRecord(
        batchId,
        requestId,
        principal,
        idempotencyKey,
        bodySha256,
        firstSeen,
        filedAt,
        scheduledAt,
        deadline,
        targets,
        waiters,
        pending,
        content,
        responseStatus,
        response,
        completedAt,
        canceledAt,
        retryOf,
        r);
  }

  @JsonIgnore
  boolean canceled() {
    return canceledAt != null;
  }

  @JsonIgnore
  boolean allTargetsClosed() {
    return targets.stream().noneMatch(TargetState::open);
  }

  /** Compares the bytes by content (a record's own equals compares arrays by identity). */
  @Override
  public boolean equals(Object other) {
    return other instanceof LedgerRecord o
        && Objects.equals(batchId, o.batchId)
        && Objects.equals(requestId, o.requestId)
        && Objects.equals(principal, o.principal)
        && Objects.equals(idempotencyKey, o.idempotencyKey)
        && Objects.equals(bodySha256, o.bodySha256)
        && firstSeen == o.firstSeen
        && filedAt == o.filedAt
        && Objects.equals(scheduledAt, o.scheduledAt)
        && deadline == o.deadline
        && Objects.equals(targets, o.targets)
        && Objects.equals(waiters, o.waiters)
        && Objects.equals(pending, o.pending)
        && Objects.equals(content, o.content)
        && Objects.equals(responseStatus, o.responseStatus)
        && Arrays.equals(response, o.response)
        && Objects.equals(completedAt, o.completedAt)
        && Objects.equals(canceledAt, o.canceledAt)
        && Objects.equals(retryOf, o.retryOf)
        && Objects.equals(retries, o.retries);
  }

  @Override
  public int hashCode() {
    int h =
        Objects.hash(
            batchId,
            requestId,
            principal,
            idempotencyKey,
            bodySha256,
            firstSeen,
            filedAt,
            scheduledAt,
            deadline,
            targets,
            waiters,
            pending,
            content,
            responseStatus,
            completedAt,
            canceledAt,
            retryOf,
            retries);
    h = 31 * h + Arrays.hashCode(response);
    return h;
  }

  /** The components, bytes as their length only. */
  @Override
  public String toString() {
    return "LedgerRecord[batchId="
        + batchId
        + ", requestId="
        + requestId
        + ", principal="
        + principal
        + ", idempotencyKey="
        + idempotencyKey
        + ", bodySha256="
        + bodySha256
        + ", firstSeen="
        + firstSeen
        + ", filedAt="
        + filedAt
        + ", scheduledAt="
        + scheduledAt
        + ", deadline="
        + deadline
        + ", targets="
        + targets
        + ", waiters="
        + waiters
        + ", pending="
        + pending
        + ", content="
        + content
        + ", responseStatus="
        + responseStatus
        + ", response="
        + Bytes.describe(response)
        + ", completedAt="
        + completedAt
        + ", canceledAt="
        + canceledAt
        + ", retryOf="
        + retryOf
        + ", retries="
        + retries
        + "]";
  }
}

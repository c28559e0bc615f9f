package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The replay record of one request fingerprint for one TTL period: the value of the ledger's window
 * store, filed under {@link #filedAt()}.
 *
 * <p>It holds what a retry is compared with (body hash), what it is answered with (the recorded
 * status and body bytes, set once), the batch's per-target progress, and the retries waiting for a
 * running batch. A change makes a new record: one of the named changes below, each a {@link
 * Builder} over this record's components.
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
 * @param retriedBy the batch that retries this one's failed targets, else null: at most one, since
 *     a retry takes over every failed retryable target at once and a later retry of this batch is
 *     refused naming it ({@link DecideAction})
 */
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
    ByteString response,
    Long completedAt,
    Long canceledAt,
    String retryOf,
    String retriedBy) {

  /** One target's progress; {@code status} null while its outcome is open. */
  record TargetState(
      String accountId,
      String platform,
      String taskId,
      TargetOutcome.Status status,
      String postId,
      String uri,
      TargetError error) {

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
  }

  /** The post content of a scheduled batch, kept once rather than in each pending task. */
  record PostContent(String text, List<PublishTask.Media> media, String firstComment) {}

  boolean answered() {
    return response != null;
  }

  boolean complete() {
    return completedAt != null;
  }

  boolean released() {
    return deadline != 0;
  }

  boolean canceled() {
    return canceledAt != null;
  }

  boolean allTargetsClosed() {
    return targets.stream().noneMatch(TargetState::open);
  }

  /** When the punctuator must next look at this record: its deadline, or its schedule. */
  long due() {
    return released() ? deadline : scheduledAt;
  }

  /** The batch with {@code requestId} waiting for its answer too. */
  LedgerRecord withWaiter(String requestId) {
    List<String> w = new ArrayList<>(waiters);
    w.add(requestId);
    return toBuilder().waiters(w).build();
  }

  /** The batch with target {@code index} replaced. */
  LedgerRecord withTarget(int index, TargetState target) {
    List<TargetState> t = new ArrayList<>(targets);
    t.set(index, target);
    return withTargets(t);
  }

  LedgerRecord withTargets(List<TargetState> t) {
    return toBuilder().targets(t).build();
  }

  /** The batch released to the publishers, due by {@code newDeadline}: its pending tasks sent. */
  LedgerRecord released(long newDeadline) {
    return toBuilder().deadline(newDeadline).pending(List.of()).build();
  }

  /** The batch with its recorded answer, which its waiters got too. */
  LedgerRecord answered(int status, ByteString body) {
    return toBuilder().waiters(List.of()).responseStatus(status).response(body).build();
  }

  /** The batch with every target's outcome in, at {@code at}. */
  LedgerRecord completed(long at) {
    return toBuilder().completedAt(at).build();
  }

  /** The batch canceled at {@code at}: its pending tasks dropped, its content kept no longer. */
  LedgerRecord canceled(long at) {
    return toBuilder().pending(List.of()).content(null).canceledAt(at).build();
  }

  /** The batch due at {@code newScheduledAt} instead. */
  LedgerRecord rescheduled(long newScheduledAt) {
    return toBuilder().scheduledAt(newScheduledAt).build();
  }

  /** The batch whose failed targets the batch {@code retryBatchId} retries. */
  LedgerRecord withRetry(String retryBatchId) {
    return toBuilder().retriedBy(retryBatchId).build();
  }

  /** A builder holding this record's components. */
  Builder toBuilder() {
    return new Builder(this);
  }

  /** A builder of a new record: no targets, waiters or pending tasks, every other field unset. */
  static Builder builder() {
    return new Builder(null);
  }

  /** The components of a record being made; {@link #build()} checks them as the record does. */
  static final class Builder {
    private String batchId;
    private String requestId;
    private String principal;
    private String idempotencyKey;
    private String bodySha256;
    private long firstSeen;
    private long filedAt;
    private Long scheduledAt;
    private long deadline;
    private List<TargetState> targets = List.of();
    private List<String> waiters = List.of();
    private List<PublishTask> pending = List.of();
    private PostContent content;
    private Integer responseStatus;
    private ByteString response;
    private Long completedAt;
    private Long canceledAt;
    private String retryOf;
    private String retriedBy;

    private Builder(LedgerRecord r) {
      if (r == null) {
        return;
      }
      batchId = r.batchId;
      requestId = r.requestId;
      principal = r.principal;
      idempotencyKey = r.idempotencyKey;
      bodySha256 = r.bodySha256;
      firstSeen = r.firstSeen;
      filedAt = r.filedAt;
      scheduledAt = r.scheduledAt;
      deadline = r.deadline;
      targets = r.targets;
      waiters = r.waiters;
      pending = r.pending;
      content = r.content;
      responseStatus = r.responseStatus;
      response = r.response;
      completedAt = r.completedAt;
      canceledAt = r.canceledAt;
      retryOf = r.retryOf;
      retriedBy = r.retriedBy;
    }

    Builder batchId(String v) {
      batchId = v;
      return this;
    }

    Builder requestId(String v) {
      requestId = v;
      return this;
    }

    Builder principal(String v) {
      principal = v;
      return this;
    }

    Builder idempotencyKey(String v) {
      idempotencyKey = v;
      return this;
    }

    Builder bodySha256(String v) {
      bodySha256 = v;
      return this;
    }

    Builder firstSeen(long v) {
      firstSeen = v;
      return this;
    }

    Builder filedAt(long v) {
      filedAt = v;
      return this;
    }

    Builder scheduledAt(Long v) {
      scheduledAt = v;
      return this;
    }

    Builder deadline(long v) {
      deadline = v;
      return this;
    }

    Builder targets(List<TargetState> v) {
      targets = v;
      return this;
    }

    Builder waiters(List<String> v) {
      waiters = v;
      return this;
    }

    Builder pending(List<PublishTask> v) {
      pending = v;
      return this;
    }

    Builder content(PostContent v) {
      content = v;
      return this;
    }

    Builder responseStatus(Integer v) {
      responseStatus = v;
      return this;
    }

    Builder response(ByteString v) {
      response = v;
      return this;
    }

    Builder completedAt(Long v) {
      completedAt = v;
      return this;
    }

    Builder canceledAt(Long v) {
      canceledAt = v;
      return this;
    }

    Builder retryOf(String v) {
      retryOf = v;
      return this;
    }

    Builder retriedBy(String v) {
      retriedBy = v;
      return this;
    }

    LedgerRecord build() {
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
          retriedBy);
    }
  }
}

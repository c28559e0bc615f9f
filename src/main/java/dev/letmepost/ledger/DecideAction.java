package dev.letmepost.ledger;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.Command;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision on a batch action (docs/contract.md#batch-actions), made in the ledger task that
 * holds the batch (the by-batch repartition routed it here: a batch id is in its batch's partition,
 * {@link Decisions#batchId}), so that it is serialised with everything else that changes the batch:
 * its release by the wall-clock timer ({@link ExpireOverdue}), its outcomes ({@link FoldOutcome}).
 * A cancel and a release of the same batch therefore end one way only: whichever the task runs
 * first wins, and the other sees its result.
 *
 * <p>An action has the idempotency table of a post: its replay record is filed under {@link
 * ActionKeys#recordKey} (the action's fingerprint, aligned to this task's partition); a retry with
 * the same key and body replays its answer byte for byte, one with another body is {@code 422
 * idempotency_conflict}. An action on an unknown batch, or on another principal's, is {@code 404
 * batch_not_found}, the same body for both, and not recorded; a body that fails its check is {@code
 * 400 preflight_failed}, not recorded; every decision on an existing batch (the change, or the
 * {@code 409} naming the state that forbids it) is recorded.
 *
 * <p>A retry takes over every target of the batch that failed with {@code retryable: true}, so a
 * batch has at most one retry: a later retry of it, under any key or none, is {@code 409
 * batch_not_retryable} naming the retry batch, whose own retry is the way to try again. Two retries
 * of one batch are decided one after the other in this task, so the second always sees the first's
 * retry batch. An exception while deciding is answered {@code 500 internal_error} and leaves
 * nothing else behind ({@link Effects}).
 */
final class DecideAction implements Processor<String, Command, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(DecideAction.class);
  private final LedgerConfig config;
  private final CommitPacer pacer;
  private final Effects.Fault fault;
  private ProcessorContext<String, Emission> context;
  private Decisions decisions;

  /**
   * One action being decided on an existing batch.
   *
   * @param key the key the action's replay record is filed under ({@link ActionKeys#recordKey})
   * @param windowTime the window time it is filed under
   * @param batch the batch the action names, and the key it is filed under
   */
  private record Act(
      Command c, String key, long windowTime, LedgerStores.Filed batch, Decisions.Times t) {
    LedgerRecord record() {
      return batch.record();
    }
  }

  /**
   * @param pacer how its tasks and answers ask for an early commit ({@link CommitPacer})
   * @param fault called before each write or forward is held ({@link Effects.Fault#NONE} but in
   *     tests, which throw from it to fail a decision midway)
   */
  DecideAction(LedgerConfig config, CommitPacer pacer, Effects.Fault fault) {
    this.config = config;
    this.pacer = pacer;
    this.fault = fault;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.context = context;
    this.decisions = new Decisions(config, context, pacer, fault);
  }

  @Override
  public void process(Record<String, Command> record) {
    decisions.decide(record, (c, batchId, t) -> decide(c, t));
  }

  private void decide(Command c, Decisions.Times t) {
    if (decisions.answeredInvalidKey(c, t) || decisions.answeredBehind(c, t, "changed")) {
      return;
    }
    BatchAction action =
        BatchAction.parse(c.method(), c.path())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "not a batch action: " + Limits.echo(c.method() + " " + c.path())));
    String key =
        ActionKeys.recordKey(c.fingerprint(), context.taskId().partition(), config.partitions());
    if (decisions.answeredRetry(c, key, t)) {
      return;
    }
    LedgerStores.Filed batch = decisions.stores().batch(action.batchId());
    if (batch == null || !batch.record().principal().equals(c.principal())) {
      decisions.answerError(
          c,
          t,
          Answers.NOT_FOUND,
          Answers.error(
              "batch_not_found",
              "no batch '" + Limits.echo(action.batchId()) + "' for this API key"),
          c.idempotencyKey(),
          null);
      return;
    }
    Preflight.ActionResult body = Preflight.checkAction(action.kind(), c.body().toByteArray());
    if (!body.ok()) {
      decisions.answerPreflightFailed(c, t, body.errors());
      return;
    }
    Act a = new Act(c, key, decisions.stores().freeWindowTime(key, t.filedAt()), batch, t);
    switch (action.kind()) {
      case CANCEL -> cancel(a);
      case RESCHEDULE -> reschedule(a, body.scheduledAt().toEpochMilli());
      case RETRY -> retry(a);
    }
  }

  private void cancel(Act a) {
    String state = Answers.state(a.record());
    if (state.equals(Answers.SCHEDULED)) {
      LedgerRecord canceled =
          decisions.batches().cancel(a.batch.key(), a.record(), a.t.brokerTime(), a.t.ts());
      record(a, canceled, Answers.OK, Answers.current(canceled));
    } else if (state.equals(Answers.CANCELED)) {
      record(a, a.record(), Answers.OK, Answers.current(a.record()));
    } else {
      refuse(a, "batch_not_cancelable", "only a scheduled batch can be canceled");
    }
  }

  private void reschedule(Act a, long scheduledAt) {
    if (!Answers.state(a.record()).equals(Answers.SCHEDULED)) {
      refuse(a, "batch_not_reschedulable", "only a scheduled batch can be rescheduled");
      return;
    }
    if (decisions.answeredScheduleTooFar(
        a.c,
        a.t,
        scheduledAt,
        Rfc3339.format(scheduledAt),
        a.record().firstSeen(),
        "the batch's")) {
      return;
    }
    LedgerRecord moved =
        decisions
            .batches()
            .reschedule(
                a.batch.key(),
                a.record(),
                scheduledAt,
                a.t.brokerTime(),
                a.key,
                a.t.now(),
                a.t.ts());
    record(a, moved, Answers.OK, Answers.current(moved));
  }

  private void retry(Act a) {
    LedgerRecord batch = a.record();
    if (!batch.complete() || batch.canceled()) {
      refuse(
          a,
          "batch_not_retryable",
          "only a batch whose every target has an outcome can be retried");
      return;
    }
    if (batch.retriedBy() != null) {
      refuse(
          a,
          "batch_not_retryable",
          "its failed targets were handed to retry batch '"
              + batch.retriedBy()
              + "' already (a failed target is retried at most once per batch); to retry them"
              + " again, retry batch '"
              + batch.retriedBy()
              + "'");
      return;
    }
    List<PostRequest.Target> targets = new ArrayList<>();
    for (LedgerRecord.TargetState t : batch.targets()) {
      if (t.status() == TargetOutcome.Status.failed
          && t.error() != null
          && Boolean.TRUE.equals(t.error().retryable())) {
        targets.add(new PostRequest.Target(t.accountId(), null));
      }
    }
    if (targets.isEmpty()) {
      refuse(
          a,
          "batch_not_retryable",
          "none of its targets failed with retryable: true (published and unknown targets are"
              + " never retried)");
      return;
    }
    String id =
        ActionKeys.retryBatchId(
            a.key, a.t.brokerTime(), context.taskId().partition(), config.partitions());
    LedgerRecord.PostContent content = batch.content();
    PostRequest request =
        new PostRequest(
            targets,
            content.text() == null ? "" : content.text(),
            content.media() == null ? List.of() : content.media(),
            content.firstComment(),
            null);
    decisions.batches().save(a.batch.key(), batch.withRetry(id));
    LOG.info(
        "batch {} ({}): retrying {} failed target(s) as {}",
        batch.batchId(),
        Answers.state(batch),
        targets.size(),
        id);
    decisions.start(a.c, a.key, a.windowTime, id, request, a.t, null, batch.batchId());
  }

  /** Records and sends {@code 409 code} naming the batch's state. */
  private void refuse(Act a, String code, String rule) {
    String state = Answers.state(a.record());
    String detail =
        switch (state) {
          case Answers.RUNNING -> " (released to the publishers)";
          case Answers.SCHEDULED -> " (not released yet)";
          default -> "";
        };
    record(
        a,
        a.record(),
        Answers.CONFLICT,
        Answers.error(
            code, "batch '" + a.record().batchId() + "' is " + state + detail + "; " + rule));
  }

  /**
   * Records the action's answer about {@code about} and sends it ({@link Decisions#recordAction}).
   */
  private void record(Act a, LedgerRecord about, int status, ByteString body) {
    decisions.recordAction(a.c, a.key, a.windowTime, about, a.t, status, body);
  }
}

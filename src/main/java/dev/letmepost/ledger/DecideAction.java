package dev.letmepost.ledger;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.Command;
import dev.letmepost.command.FieldError;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.PublishTask;
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
 * the same key and body replays its answer byte for byte, one with another body is {@code 409
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
final class DecideAction implements Processor<String, BatchLookup, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(DecideAction.class);
  private final LedgerConfig config;
  private final LedgerClock clock;
  private final Effects.Fault fault;
  private ProcessorContext<String, Emission> context;
  private Decisions decisions;

  /**
   * @param fault called before each write or forward is held ({@link Effects.Fault#NONE} but in
   *     tests, which throw from it to fail a decision midway)
   */
  DecideAction(LedgerConfig config, Effects.Fault fault) {
    this.config = config;
    this.clock = new LedgerClock(config);
    this.fault = fault;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.context = context;
    this.decisions = new Decisions(config, context, fault);
  }

  @Override
  public void process(Record<String, BatchLookup> record) {
    BatchLookup in = record.value();
    if (in == null || in.command() == null) {
      return;
    }
    Command c = in.command();
    long ts = record.timestamp();
    long now = context.currentSystemTimeMs();
    long brokerTime = clock.brokerTime(ts, now);
    long filedAt = LedgerClock.fileTime(brokerTime, now);
    decisions.decideWhole(
        c,
        filedAt,
        ts,
        () -> decide(c, brokerTime, filedAt, now, ts),
        e ->
            LOG.error(
                "internal error deciding action {} {} (request {}); answering 500",
                Limits.echo(c.method()),
                Limits.echo(c.path()),
                c.requestId(),
                e));
  }

  private void decide(Command c, long brokerTime, long filedAt, long now, long ts) {
    if (decisions.answeredInvalidKey(c, filedAt, ts)) {
      return;
    }
    if (decisions.answeredBehind(c, brokerTime, now, filedAt, ts, "changed")) {
      return;
    }
    BatchAction action =
        BatchAction.parse(c.method(), c.path())
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "not a batch action: " + Limits.echo(c.method() + " " + c.path())));
    int n = config.partitions();
    String key = ActionKeys.recordKey(c.fingerprint(), context.taskId().partition(), n);
    LedgerRecord live = decisions.live(key, brokerTime);
    if (live != null) {
      decisions.answerRetry(c, key, live, filedAt, ts);
      return;
    }
    LedgerRecord batch = decisions.batch(action.batchId());
    if (batch == null || !batch.principal().equals(c.principal())) {
      decisions.answerError(
          c,
          filedAt,
          Answers.NOT_FOUND,
          Answers.error(
              "batch_not_found",
              "no batch '" + Limits.echo(action.batchId()) + "' for this API key"),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }
    Preflight.ActionResult body = Preflight.checkAction(action.kind(), c.body());
    if (!body.ok()) {
      decisions.answerError(
          c,
          filedAt,
          Answers.BAD_REQUEST,
          Answers.preflightFailed(body.errors()),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }
    String fingerprint = decisions.fingerprintOf(batch.batchId());
    long windowTime = decisions.freeWindowTime(key, filedAt);
    switch (action.kind()) {
      case CANCEL -> cancel(c, key, fingerprint, batch, brokerTime, windowTime, ts);
      case RESCHEDULE ->
          reschedule(
              c,
              key,
              fingerprint,
              batch,
              body.scheduledAt().toEpochMilli(),
              brokerTime,
              windowTime,
              filedAt,
              now,
              ts);
      case RETRY -> retry(c, key, fingerprint, batch, brokerTime, windowTime, now, ts);
    }
  }

  private void cancel(
      Command c,
      String key,
      String fingerprint,
      LedgerRecord batch,
      long brokerTime,
      long windowTime,
      long ts) {
    String state = Answers.state(batch);
    if (state.equals(Answers.SCHEDULED)) {
      LedgerRecord canceled = decisions.batches().cancel(fingerprint, batch, brokerTime, ts);
      decisions.recordAction(
          c, key, canceled, brokerTime, windowTime, Answers.OK, Answers.current(canceled), ts);
    } else if (state.equals(Answers.CANCELED)) {
      decisions.recordAction(
          c, key, batch, brokerTime, windowTime, Answers.OK, Answers.current(batch), ts);
    } else {
      refuse(
          c,
          key,
          batch,
          brokerTime,
          windowTime,
          ts,
          "batch_not_cancelable",
          "only a scheduled batch can be canceled");
    }
  }

  private void reschedule(
      Command c,
      String key,
      String fingerprint,
      LedgerRecord batch,
      long scheduledAt,
      long brokerTime,
      long windowTime,
      long filedAt,
      long now,
      long ts) {
    String state = Answers.state(batch);
    if (!state.equals(Answers.SCHEDULED)) {
      refuse(
          c,
          key,
          batch,
          brokerTime,
          windowTime,
          ts,
          "batch_not_reschedulable",
          "only a scheduled batch can be rescheduled");
      return;
    }
    long latest = batch.firstSeen() + config.replayTtl().minus(config.targetDeadline()).toMillis();
    if (scheduledAt > latest) {
      decisions.answerError(
          c,
          filedAt,
          Answers.BAD_REQUEST,
          Answers.preflightFailed(
              List.of(
                  new FieldError(
                      "scheduledAt",
                      "schedule_too_far",
                      "scheduledAt "
                          + Rfc3339.format(scheduledAt)
                          + " is later than "
                          + Rfc3339.format(latest)
                          + ", the latest the batch's replay record can cover"))),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }
    LedgerRecord moved =
        decisions.batches().reschedule(fingerprint, batch, scheduledAt, brokerTime, key, now, ts);
    decisions.recordAction(
        c, key, moved, brokerTime, windowTime, Answers.OK, Answers.current(moved), ts);
  }

  private void retry(
      Command c,
      String key,
      String fingerprint,
      LedgerRecord batch,
      long brokerTime,
      long windowTime,
      long now,
      long ts) {
    String state = Answers.state(batch);
    if (!batch.complete() || batch.canceled()) {
      refuse(
          c,
          key,
          batch,
          brokerTime,
          windowTime,
          ts,
          "batch_not_retryable",
          "only a batch whose every target has an outcome can be retried");
      return;
    }
    if (!batch.retries().isEmpty()) {
      String takenBy = batch.retries().get(batch.retries().size() - 1);
      refuse(
          c,
          key,
          batch,
          brokerTime,
          windowTime,
          ts,
          "batch_not_retryable",
          "its failed targets were handed to retry batch '"
              + takenBy
              + "' already (a failed target is retried at most once per batch); to retry them"
              + " again, retry batch '"
              + takenBy
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
          c,
          key,
          batch,
          brokerTime,
          windowTime,
          ts,
          "batch_not_retryable",
          "none of its targets failed with retryable: true (published and unknown targets are"
              + " never retried)");
      return;
    }
    LedgerRecord.PostContent content = batch.content();
    if (content == null) {
      refuse(
          c,
          key,
          batch,
          brokerTime,
          windowTime,
          ts,
          "batch_not_retryable",
          "its content was not kept (the batch was recorded before retries existed)");
      return;
    }
    int n = config.partitions();
    String id = ActionKeys.retryBatchId(key, brokerTime, context.taskId().partition(), n);
    List<PublishTask.Media> media = content.media() == null ? List.of() : content.media();
    PostRequest request =
        new PostRequest(
            targets,
            content.text() == null ? "" : content.text(),
            media,
            content.firstComment(),
            null);
    decisions.batches().save(fingerprint, batch.withRetry(id));
    LOG.info(
        "batch {} ({}): retrying {} failed target(s) as {}",
        batch.batchId(),
        state,
        targets.size(),
        id);
    decisions.start(c, key, id, request, brokerTime, windowTime, null, now, ts, batch.batchId());
  }

  /** Records and sends {@code 409 code} naming the batch's state. */
  private void refuse(
      Command c,
      String key,
      LedgerRecord batch,
      long brokerTime,
      long windowTime,
      long ts,
      String code,
      String rule) {
    String state = Answers.state(batch);
    String detail =
        switch (state) {
          case Answers.RUNNING -> " (released to the publishers)";
          case Answers.SCHEDULED -> " (not released yet)";
          default -> "";
        };
    decisions.recordAction(
        c,
        key,
        batch,
        brokerTime,
        windowTime,
        Answers.CONFLICT,
        Answers.error(code, "batch '" + batch.batchId() + "' is " + state + detail + "; " + rule),
        ts);
  }
}

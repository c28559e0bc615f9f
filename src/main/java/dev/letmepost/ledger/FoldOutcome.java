package dev.letmepost.ledger;

import dev.letmepost.command.Limits;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.time.Duration;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds one target's outcome into its batch's replay record; the outcome that closes the last open
 * target completes the batch and answers the request and every waiter. The first outcome of a
 * target wins; late, duplicate or foreign outcomes change nothing. The outcome's fields are kept
 * cut to {@link Limits}, so no outcome can grow a replay record past the record ceiling.
 *
 * <p>It also owns the time decisions ({@link ExpireOverdue}): a wall-clock timer releases scheduled
 * batches and, when some deadline has passed, writes a tick to this task's outcomes partition; the
 * tick read back closes the overdue batches.
 */
final class FoldOutcome implements Processor<String, Inbound, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(FoldOutcome.class);
  private final LedgerConfig config;
  private Batches batches;
  private ExpireOverdue expire;

  FoldOutcome(LedgerConfig config) {
    this.config = config;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    WindowStore<String, LedgerRecord> replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.batches = new Batches(config, replay, timers, context::forward, Effects.immediate());
    this.expire = new ExpireOverdue(batches, timers, config);
    int partition = context.taskId().partition();
    Duration interval = config.timerInterval();
    context.schedule(
        interval,
        PunctuationType.WALL_CLOCK_TIME,
        now -> {
          ExpireOverdue.Work released = expire.releaseDue(now);
          if (released.cut()) {
            LOG.info(
                "released {} due batches (about {} bytes); the rest go at the next interval",
                released.handled(),
                released.bytes());
          }
          if (expire.tickNeeded(now)) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(Inbound.TICK_HEADER, new byte[] {1});
            context.forward(
                new Record<>(Inbound.tickKey(partition), new Emission.Tick(now), now, headers));
          }
        });
  }

  @Override
  public void process(Record<String, Inbound> record) {
    Inbound in = record.value();
    if (in instanceof Inbound.Tick tick) {
      ExpireOverdue.Work closed = expire.closeOverdue(tick.at());
      if (closed.cut()) {
        LOG.info(
            "closed {} overdue batches (about {} bytes); the rest at the next tick",
            closed.handled(),
            closed.bytes());
      }
      return;
    }
    TargetOutcome o = in instanceof Inbound.Outcome outcome ? outcome.outcome() : null;
    String fingerprint = record.key();
    if (o == null || !o.fingerprint().equals(fingerprint)) {
      LOG.warn(
          "ignoring outcome keyed '{}' for fingerprint '{}'",
          Limits.echo(fingerprint),
          o == null ? null : Limits.echo(o.fingerprint()));
      return;
    }
    LedgerRecord batch = batches.find(fingerprint, o.recordedAt());
    if (batch == null || !batch.batchId().equals(o.batchId())) {
      LOG.warn(
          "ignoring outcome of task {}: batch {} has no replay record (expired or never started)",
          Limits.echo(o.taskId()),
          Limits.echo(o.batchId()));
      return;
    }
    int i = o.targetIndex();
    if (i < 0
        || i >= batch.targets().size()
        || !o.taskId().equals(batch.targets().get(i).taskId())) {
      LOG.warn(
          "ignoring outcome of task {}: batch {} has no such task at targets[{}]",
          Limits.echo(o.taskId()),
          o.batchId(),
          i);
      return;
    }
    LedgerRecord.TargetState target = batch.targets().get(i);
    if (!target.open()) {
      LOG.info(
          "ignoring second outcome of task {} ({}), already {}",
          o.taskId(),
          o.status(),
          target.status());
      return;
    }
    batch =
        batch.withTarget(
            i,
            target.withOutcome(
                o.status(),
                Limits.cut(o.postId(), Limits.MAX_POST_ID_CHARS),
                Limits.cut(o.uri(), Limits.MAX_URI_CHARS),
                capped(o.error())));
    batches.targetClosed(batch, i, record.timestamp(), record.timestamp());
    if (batch.allTargetsClosed()) {
      batches.complete(fingerprint, batch, record.timestamp(), record.timestamp());
    } else {
      batches.save(fingerprint, batch);
    }
  }

  private static TargetError capped(TargetError e) {
    if (e == null) {
      return null;
    }
    return new TargetError(
        Limits.cut(e.code(), Limits.MAX_ERROR_CODE_CHARS),
        Limits.cut(e.message(), Limits.MAX_ERROR_MESSAGE_CHARS),
        e.retryable());
  }
}

package dev.letmepost.ledger;

import dev.letmepost.wire.TargetOutcome;
import java.time.Duration;
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
 * target wins; late, duplicate or foreign outcomes change nothing.
 *
 * <p>It also owns the wall-clock timer that runs {@link ExpireOverdue} over the open-batch index.
 */
final class FoldOutcome implements Processor<String, TargetOutcome, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(FoldOutcome.class);
  private final LedgerConfig config;
  private Batches batches;

  FoldOutcome(LedgerConfig config) {
    this.config = config;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    WindowStore<String, LedgerRecord> replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.batches = new Batches(config, replay, timers, context::forward);
    Duration interval = config.timerInterval();
    context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, new ExpireOverdue(batches, timers));
  }

  @Override
  public void process(Record<String, TargetOutcome> record) {
    TargetOutcome o = record.value();
    String fingerprint = record.key();
    if (o == null || !o.fingerprint().equals(fingerprint)) {
      LOG.warn(
          "ignoring outcome keyed '{}' for fingerprint '{}'",
          fingerprint,
          o == null ? null : o.fingerprint());
      return;
    }
    LedgerRecord batch = batches.find(fingerprint, o.recordedAt());
    if (batch == null || !batch.batchId().equals(o.batchId())) {
      LOG.warn(
          "ignoring outcome of task {}: batch {} has no replay record (expired or never started)",
          o.taskId(),
          o.batchId());
      return;
    }
    int i = o.targetIndex();
    if (i < 0
        || i >= batch.targets().size()
        || !o.taskId().equals(batch.targets().get(i).taskId())) {
      LOG.warn(
          "ignoring outcome of task {}: batch {} has no such task at targets[{}]",
          o.taskId(),
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
    batch = batch.withTarget(i, target.withOutcome(o.status(), o.postId(), o.uri(), o.error()));
    if (batch.allTargetsClosed()) {
      batches.complete(fingerprint, batch, record.timestamp(), record.timestamp());
    } else {
      batches.save(fingerprint, batch);
    }
  }
}

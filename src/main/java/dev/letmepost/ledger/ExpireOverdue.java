package dev.letmepost.ledger;

import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The deadline decision, on the ledger's wall clock: a scheduled batch whose time has come is
 * released to the publishers; a running batch past its deadline has its open targets closed {@code
 * unknown / outcome_unknown} and is completed.
 *
 * <p>It reads only the small open-batch index (keys sorted by due time), never the window store at
 * large: one range scan up to now, then one point look-up per due batch.
 */
final class ExpireOverdue implements Punctuator {
  private final Batches batches;
  private final KeyValueStore<String, Long> timers;

  ExpireOverdue(Batches batches, KeyValueStore<String, Long> timers) {
    this.batches = batches;
    this.timers = timers;
  }

  @Override
  public void punctuate(long now) {
    List<KeyValue<String, Long>> due = new ArrayList<>();
    try (KeyValueIterator<String, Long> it =
        timers.range(Batches.timerKey(0, 0, ""), Batches.lastKeyDueBy(now))) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<String, Long> entry : due) {
      timers.delete(entry.key);
      String fingerprint = Batches.fingerprintOf(entry.key);
      LedgerRecord batch = batches.find(fingerprint, entry.value);
      if (batch == null || batch.complete()) {
        continue;
      }
      if (!batch.released()) {
        batches.release(fingerprint, batch, batch.pending(), now, now);
      } else {
        batches.complete(fingerprint, closeOpenTargets(batch), now, now);
      }
    }
  }

  private static LedgerRecord closeOpenTargets(LedgerRecord batch) {
    String message =
        "no outcome arrived by the deadline "
            + Answers.time(batch.deadline())
            + "; the post may or may not exist on the platform: check before posting again";
    List<LedgerRecord.TargetState> targets = new ArrayList<>();
    for (LedgerRecord.TargetState t : batch.targets()) {
      targets.add(
          t.open()
              ? t.withOutcome(
                  TargetOutcome.Status.unknown,
                  null,
                  null,
                  new TargetError("outcome_unknown", message, null))
              : t);
    }
    return batch.withTargets(targets);
  }
}

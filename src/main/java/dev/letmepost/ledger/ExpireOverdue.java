package dev.letmepost.ledger;

import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The time decisions on batches: a scheduled batch whose time has come (wall clock) is released to
 * the publishers; a running batch whose deadline plus the outcome grace has passed, as far as the
 * ledger has read its outcomes ({@link Inbound} ticks), has its open targets closed {@code unknown
 * / outcome_unknown} and is completed.
 *
 * <p>It reads only the small open-batch index (keys sorted by kind and due time), never the window
 * store at large: one range scan, then one point look-up per due batch.
 *
 * <p>Each call handles at most {@link #MAX_PER_CALL} due batches, the earliest due first, and
 * leaves the rest in the index for the next call: a campaign scheduled for one minute, or an hour
 * of outage, is worked off over several punctuations (or ticks), each within the transaction
 * timeout, instead of in one transaction that times out and aborts again on every attempt. A
 * handled entry leaves the index, so the next call's scan starts at the first one not handled.
 */
final class ExpireOverdue {
  /**
   * The most due batches one call releases or closes: with {@link
   * dev.letmepost.command.Preflight#MAX_TARGETS} targets each, at most 12,500 tasks or target
   * events plus two events and a save per batch in one transaction. A backlog of n due batches
   * takes ceil(n / 500) timer intervals (releases) or ticks (closes).
   */
  static final int MAX_PER_CALL = 500;

  private final Batches batches;
  private final KeyValueStore<String, Long> timers;
  private final long grace;

  ExpireOverdue(Batches batches, KeyValueStore<String, Long> timers, LedgerConfig config) {
    this.batches = batches;
    this.timers = timers;
    this.grace = config.outcomeGrace().toMillis();
  }

  /**
   * Releases the scheduled batches due by {@code now} (wall clock), at most {@link #MAX_PER_CALL};
   * returns how many timer entries it handled.
   */
  int releaseDue(long now) {
    List<KeyValue<String, Long>> due = due(Batches.RELEASE, now);
    for (KeyValue<String, Long> entry : due) {
      timers.delete(entry.key);
      String fingerprint = Batches.fingerprintOf(entry.key);
      LedgerRecord batch = batches.find(fingerprint, entry.value);
      if (batch != null && !batch.complete() && !batch.released() && !batch.canceled()) {
        batches.release(fingerprint, batch, batch.pending(), now, now);
      }
    }
    return due.size();
  }

  /** True when some deadline plus grace has passed by {@code now}: a tick would close it. */
  boolean tickNeeded(long now) {
    if (now - grace < 0) {
      return false;
    }
    try (KeyValueIterator<String, Long> it =
        timers.range(
            Batches.firstKey(Batches.DEADLINE),
            Batches.lastKeyDueBy(Batches.DEADLINE, now - grace))) {
      return it.hasNext();
    }
  }

  /**
   * Closes the batches whose deadline plus grace is at or before {@code tickAt} (the ledger has
   * read every outcome written before that time), at most {@link #MAX_PER_CALL}; the rest stay due,
   * so the next punctuation writes another tick ({@link #tickNeeded}). Returns how many timer
   * entries it handled.
   */
  int closeOverdue(long tickAt) {
    List<KeyValue<String, Long>> due = due(Batches.DEADLINE, tickAt - grace);
    for (KeyValue<String, Long> entry : due) {
      timers.delete(entry.key);
      String fingerprint = Batches.fingerprintOf(entry.key);
      LedgerRecord batch = batches.find(fingerprint, entry.value);
      if (batch != null && !batch.complete() && batch.released()) {
        LedgerRecord closed = closeOpenTargets(batch);
        for (int i = 0; i < batch.targets().size(); i++) {
          if (batch.targets().get(i).open()) {
            batches.targetClosed(closed, i, tickAt, tickAt);
          }
        }
        batches.complete(fingerprint, closed, tickAt, tickAt);
      }
    }
    return due.size();
  }

  private List<KeyValue<String, Long>> due(char kind, long by) {
    List<KeyValue<String, Long>> due = new ArrayList<>();
    if (by < 0) {
      return due;
    }
    try (KeyValueIterator<String, Long> it =
        timers.range(Batches.firstKey(kind), Batches.lastKeyDueBy(kind, by))) {
      while (due.size() < MAX_PER_CALL && it.hasNext()) {
        due.add(it.next());
      }
    }
    return due;
  }

  private static LedgerRecord closeOpenTargets(LedgerRecord batch) {
    String message =
        "no outcome arrived by the deadline "
            + Rfc3339.format(batch.deadline())
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

package dev.letmepost.ledger;

import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
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
 * <p>Each call handles at most {@link #MAX_PER_CALL} due batches, the earliest due first, and stops
 * early after the batch that takes the bytes it wrote ({@link Batches#written}) to {@link
 * #MAX_BYTES_PER_CALL} or past; it leaves the rest in the index for the next call. A campaign
 * scheduled for one minute, or an hour of outage, is worked off over several punctuations (or
 * ticks), each within the transaction timeout, instead of in one transaction that times out and
 * aborts again on every attempt. Counting batches alone is not enough: one batch of 25 targets with
 * the largest content releases 25 tasks of up to half a megabyte each, so 500 of them are
 * gigabytes. A handled entry leaves the index, so the next call's scan starts at the first one not
 * handled; the first due batch is always handled, so every call makes progress.
 */
final class ExpireOverdue {
  /**
   * The most due batches one call releases or closes: with {@link
   * dev.letmepost.command.Preflight#MAX_TARGETS} targets each, at most 12,500 tasks or target
   * events plus two events and a save per batch in one transaction. A backlog of n due batches
   * takes ceil(n / 500) timer intervals (releases) or ticks (closes).
   */
  static final int MAX_PER_CALL = 500;

  /**
   * The bytes (estimated from above, {@link Batches#written}) after which one call stops: 8 MiB, a
   * few hundred milliseconds of producer throughput, far inside the 5 s transaction timeout ({@link
   * LedgerApp}). The batch that crosses it is finished, so one call writes at most this plus one
   * batch (25 tasks, answers and events, each under the record ceiling).
   */
  static final long MAX_BYTES_PER_CALL = 8L * 1024 * 1024;

  /**
   * What one call did: {@code handled} timer entries, {@code bytes} written (estimated), and
   * whether it stopped at a bound ({@code cut}) with due entries possibly left for the next call.
   */
  record Work(int handled, long bytes, boolean cut) {}

  private final Batches batches;
  private final KeyValueStore<String, Long> timers;
  private final long grace;

  ExpireOverdue(Batches batches, KeyValueStore<String, Long> timers, LedgerConfig config) {
    this.batches = batches;
    this.timers = timers;
    this.grace = config.outcomeGrace().toMillis();
  }

  /**
   * Releases the scheduled batches due by {@code now} (wall clock), within {@link #MAX_PER_CALL}
   * and {@link #MAX_BYTES_PER_CALL}.
   */
  Work releaseDue(long now) {
    return handleDue(
        Batches.RELEASE,
        now,
        (fingerprint, batch) -> {
          if (!batch.complete() && !batch.released() && !batch.canceled()) {
            batches.release(fingerprint, batch, batch.pending(), now, now);
          }
        });
  }

  /**
   * Takes the timer entries of {@code kind} due by {@code by} out of the index, earliest first,
   * within {@link #MAX_PER_CALL} and {@link #MAX_BYTES_PER_CALL}, and hands each batch that still
   * has its replay record to {@code handle} (fingerprint, record).
   */
  private Work handleDue(char kind, long by, BiConsumer<String, LedgerRecord> handle) {
    return batches.metered(
        () -> {
          List<KeyValue<String, Long>> due = due(kind, by);
          long start = batches.written();
          int handled = 0;
          for (KeyValue<String, Long> entry : due) {
            if (batches.written() - start >= MAX_BYTES_PER_CALL) {
              break;
            }
            handled++;
            timers.delete(entry.key);
            String fingerprint = Batches.fingerprintOf(entry.key);
            LedgerRecord batch = batches.find(fingerprint, entry.value);
            if (batch != null) {
              handle.accept(fingerprint, batch);
            }
          }
          return new Work(
              handled, batches.written() - start, handled < due.size() || handled == MAX_PER_CALL);
        });
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
   * read every outcome written before that time), within {@link #MAX_PER_CALL} and {@link
   * #MAX_BYTES_PER_CALL}; the rest stay due, so the next punctuation writes another tick ({@link
   * #tickNeeded}).
   */
  Work closeOverdue(long tickAt) {
    return handleDue(
        Batches.DEADLINE,
        tickAt - grace,
        (fingerprint, batch) -> {
          if (!batch.complete() && batch.released()) {
            LedgerRecord closed = closeOpenTargets(batch);
            for (int i = 0; i < batch.targets().size(); i++) {
              if (batch.targets().get(i).open()) {
                batches.targetClosed(closed, i, tickAt, tickAt);
              }
            }
            batches.complete(fingerprint, closed, tickAt, tickAt);
          }
        });
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

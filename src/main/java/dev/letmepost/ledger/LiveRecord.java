package dev.letmepost.ledger;

import java.util.Iterator;
import org.apache.kafka.streams.KeyValue;

/**
 * Which replay record a request meets: the one rule both the dedup decision and the gateway's reads
 * use.
 *
 * <p>A record is live for a request with broker time {@code t} when its first request's broker time
 * is in {@code (t - ttl, ...)}: first + ttl - 1 ms still replays, first + ttl starts anew. Of the
 * live records, the latest that started at or before {@code t} wins, else the earliest after it (a
 * retry read before its first request, as partitions interleave, still meets it).
 */
final class LiveRecord {
  private LiveRecord() {}

  /**
   * The window-store time a lookup for broker time {@code t} scans from (see {@link LedgerClock}).
   */
  static long scanFrom(long t, long ttlMillis) {
    return Math.max(0, t - ttlMillis + 1);
  }

  /** Chooses among the records of one fingerprint (window time to record), in any order. */
  static LedgerRecord choose(
      Iterator<KeyValue<Long, LedgerRecord>> records, long t, long ttlMillis) {
    LedgerRecord before = null;
    LedgerRecord after = null;
    while (records.hasNext()) {
      LedgerRecord r = records.next().value;
      long first = r.firstSeen();
      if (first <= t - ttlMillis) {
        continue;
      }
      if (first <= t) {
        if (before == null || first > before.firstSeen()) {
          before = r;
        }
      } else if (after == null || first < after.firstSeen()) {
        after = r;
      }
    }
    return before != null ? before : after;
  }
}

package dev.letmepost.ledger;

/**
 * The time the ledger files a command under: its broker timestamp, clamped so that one record with
 * a wild timestamp cannot move the window store's stream time and expire everyone else's replay
 * records.
 *
 * <p>Upper bound: the ledger's wall clock plus the skew allowance, so a far-future timestamp (a
 * producer with CreateTime and a broken clock) is filed as "now". Lower bound: the highest time
 * filed so far minus the skew allowance, so an old timestamp is never filed below what the store
 * retains ({@code ttl + skew}) and its record is never silently dropped.
 */
final class LedgerClock {
  private final long skew;
  private long highWater = Long.MIN_VALUE;

  LedgerClock(long skewMillis) {
    this.skew = skewMillis;
  }

  long file(long recordTimestamp, long wallClock) {
    long t = recordTimestamp;
    if (highWater != Long.MIN_VALUE) {
      t = Math.max(t, highWater - skew);
    }
    t = Math.min(t, wallClock + skew);
    highWater = Math.max(highWater, t);
    return t;
  }
}

package dev.letmepost.ledger;

/**
 * The two times the ledger keeps for every command: the time its idempotency contract counts from,
 * and the time its store entries are filed under.
 *
 * <p>{@link #brokerTime}: the command's broker timestamp, capped at the ledger's wall clock plus
 * the skew allowance, so a far-future timestamp (a topic misconfigured as CreateTime, a broken
 * producer clock) counts as "now". Every TTL decision compares these times and nothing else: a
 * retry whose broker time is within the TTL of the first request's replays, however late the ledger
 * reads either of them.
 *
 * <p>{@link #fileTime}: the window-store time of the entries the command writes, the later of its
 * broker time and the ledger's wall clock. A window store drops a put older than its stream time
 * minus retention and expires segments by that stream time, which is the highest time filed by any
 * upstream partition of the task; filing by broker time would let a fast partition, or the stream
 * time restored after a restart, expire or drop the records that a lagging partition's retries
 * still have to meet. Filed at the wall clock, an entry is kept {@link LedgerConfig#retention()}
 * after the ledger wrote it: the stream time is at most wall clock + 2 * skew (an instance's clock
 * within skew of another's), so a command whose broker time is within {@code maxCommandLag} of the
 * wall clock meets every record filed at or after {@code brokerTime - ttl}, which is every record
 * it could replay. A lookup scans file times from {@code brokerTime - ttl} (a record's file time is
 * never below its broker time) and chooses by broker time ({@link LiveRecord}).
 *
 * <p>{@link #tooLate}: a command read later than that lag cannot be decided safely (the record it
 * should replay may be gone); the ledger answers it {@code 503 ledger_behind} and publishes
 * nothing.
 */
final class LedgerClock {
  private final long skew;
  private final long maxLag;

  LedgerClock(LedgerConfig config) {
    this.skew = config.skewAllowance().toMillis();
    this.maxLag = config.maxCommandLag().toMillis();
  }

  long brokerTime(long recordTimestamp, long wallClock) {
    return Math.min(recordTimestamp, wallClock + skew);
  }

  static long fileTime(long brokerTime, long wallClock) {
    return Math.max(brokerTime, wallClock);
  }

  boolean tooLate(long brokerTime, long wallClock) {
    return wallClock - brokerTime > maxLag;
  }
}

package dev.letmepost.ledger;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Everything the ledger topology is built from.
 *
 * @param replayTtl how long a replay record answers retries, from the first request's broker
 *     timestamp (24 h)
 * @param skewAllowance how far a record's timestamp may stray from the ledger's clock before it is
 *     clamped; the window store retains records for {@code replayTtl + skewAllowance}
 * @param targetDeadline how long a fanned-out target may stay without an outcome before it ends
 *     {@code unknown}
 * @param maxWaiters how many retries may wait on one running batch before further ones get {@code
 *     409 idempotency_in_progress}
 * @param timerInterval how often (wall clock) the ledger looks for due deadlines and schedules
 * @param partitions partitions of the fingerprint repartition topic; must equal those of the
 *     target-outcomes topic so outcomes meet their batch
 * @param maxCommandLag how long after the broker accepted a command the ledger may still decide it:
 *     the stores keep every record {@code replayTtl + 2 * skewAllowance + maxCommandLag} after it
 *     was filed, so a command read within this lag always meets every record it could replay; a
 *     later one is answered {@code 503 ledger_behind} and nothing is recorded or published; shorter
 *     than {@code replayTtl}
 * @param outcomeGrace how long after a target's deadline an outcome may still arrive and be taken
 *     (the publisher's call timeout plus its commit): open targets end {@code unknown} only once
 *     the ledger has read its outcomes partition past {@code deadline + outcomeGrace}; at least the
 *     longest platform call ({@link Platform#longestCallTime()})
 */
public record LedgerConfig(
    Topics topics,
    Duration replayTtl,
    Duration skewAllowance,
    Duration targetDeadline,
    int maxWaiters,
    Duration timerInterval,
    int partitions,
    Duration maxCommandLag,
    Duration outcomeGrace) {

  public static final Duration DEFAULT_TTL = Duration.ofHours(24);
  public static final Duration DEFAULT_SKEW = Duration.ofHours(1);
  public static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(5);
  public static final int DEFAULT_MAX_WAITERS = 16;
  public static final Duration DEFAULT_TIMER_INTERVAL = Duration.ofSeconds(1);
  public static final int DEFAULT_PARTITIONS = 6;
  public static final Duration DEFAULT_MAX_COMMAND_LAG = Duration.ofHours(6);

  /**
   * What the default outcome grace adds to the longest platform call: the publisher's commit of the
   * outcome (its transaction timeout is 15 s) and the ledger's read of it.
   */
  public static final Duration OUTCOME_GRACE_MARGIN = Duration.ofSeconds(20);

  /**
   * The longest platform call (Bluesky's four requests of 25 s: 100 s) plus {@link
   * #OUTCOME_GRACE_MARGIN}: 120 s.
   */
  public static final Duration DEFAULT_OUTCOME_GRACE =
      Platform.slowest().longestCallTime().plus(OUTCOME_GRACE_MARGIN);

  public LedgerConfig {
    Objects.requireNonNull(topics, "topics");
    positive(replayTtl, "replayTtl");
    Objects.requireNonNull(skewAllowance, "skewAllowance");
    if (skewAllowance.isNegative()) {
      throw new IllegalArgumentException(
          "skewAllowance must not be negative, got " + skewAllowance);
    }
    positive(targetDeadline, "targetDeadline");
    positive(timerInterval, "timerInterval");
    if (maxWaiters < 0) {
      throw new IllegalArgumentException("maxWaiters must be >= 0, got " + maxWaiters);
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
    }
    positive(maxCommandLag, "maxCommandLag");
    Objects.requireNonNull(outcomeGrace, "outcomeGrace");
    Platform slowest = Platform.slowest();
    if (outcomeGrace.compareTo(slowest.longestCallTime()) < 0) {
      throw new IllegalArgumentException(
          "outcomeGrace ("
              + outcomeGrace
              + ") must be at least the longest platform call ("
              + slowest.longestCallTime()
              + ": "
              + slowest.wireName()
              + ", "
              + slowest.maxRequestsPerCall()
              + " requests of at most "
              + Platform.MAX_REQUEST_TIME
              + "), or an outcome written after a slow call would find its target already"
              + " unknown; the default is "
              + DEFAULT_OUTCOME_GRACE);
    }
    if (maxCommandLag.compareTo(replayTtl) >= 0) {
      throw new IllegalArgumentException(
          "maxCommandLag ("
              + maxCommandLag
              + ") must be shorter than replayTtl ("
              + replayTtl
              + "): a command decided later than the TTL after its broker time could miss the"
              + " replay record it should meet");
    }
    if (targetDeadline.compareTo(replayTtl) >= 0) {
      throw new IllegalArgumentException(
          "targetDeadline ("
              + targetDeadline
              + ") must be shorter than replayTtl ("
              + replayTtl
              + ")");
    }
  }

  /** A configuration with the default command lag and outcome grace. */
  public LedgerConfig(
      Topics topics,
      Duration replayTtl,
      Duration skewAllowance,
      Duration targetDeadline,
      int maxWaiters,
      Duration timerInterval,
      int partitions) {
    this(
        topics,
        replayTtl,
        skewAllowance,
        targetDeadline,
        maxWaiters,
        timerInterval,
        partitions,
        DEFAULT_MAX_COMMAND_LAG,
        DEFAULT_OUTCOME_GRACE);
  }

  /**
   * How long the ledger's window stores keep a record after the time it was filed under: long
   * enough that any command read within {@link #maxCommandLag()} of its broker time still meets it
   * (see {@link LedgerClock}).
   */
  public Duration retention() {
    return replayTtl.plus(skewAllowance.multipliedBy(2)).plus(maxCommandLag);
  }

  /**
   * When {@code record}'s replay record stops answering retries (epoch ms): {@link #replayTtl()}
   * after its first request's broker time.
   */
  long expiry(LedgerRecord record) {
    return record.firstSeen() + replayTtl.toMillis();
  }

  public static LedgerConfig defaults(Topics topics) {
    return new LedgerConfig(
        topics,
        DEFAULT_TTL,
        DEFAULT_SKEW,
        DEFAULT_DEADLINE,
        DEFAULT_MAX_WAITERS,
        DEFAULT_TIMER_INTERVAL,
        DEFAULT_PARTITIONS);
  }

  public LedgerConfig withReplayTtl(Duration ttl) {
    return with(c -> c.replayTtl = ttl);
  }

  public LedgerConfig withTargetDeadline(Duration deadline) {
    return with(c -> c.targetDeadline = deadline);
  }

  public LedgerConfig withMaxWaiters(int waiters) {
    return with(c -> c.maxWaiters = waiters);
  }

  public LedgerConfig withPartitions(int count) {
    return with(c -> c.partitions = count);
  }

  public LedgerConfig withMaxCommandLag(Duration lag) {
    return with(c -> c.maxCommandLag = lag);
  }

  public LedgerConfig withOutcomeGrace(Duration grace) {
    return with(c -> c.outcomeGrace = grace);
  }

  public LedgerConfig withSkewAllowance(Duration skew) {
    return with(c -> c.skewAllowance = skew);
  }

  /** This configuration with {@code change} made to a copy of its values. */
  private LedgerConfig with(Consumer<Values> change) {
    Values v = new Values(this);
    change.accept(v);
    return new LedgerConfig(
        v.topics,
        v.replayTtl,
        v.skewAllowance,
        v.targetDeadline,
        v.maxWaiters,
        v.timerInterval,
        v.partitions,
        v.maxCommandLag,
        v.outcomeGrace);
  }

  /** The values of a configuration being changed ({@link #with}). */
  private static final class Values {
    Topics topics;
    Duration replayTtl;
    Duration skewAllowance;
    Duration targetDeadline;
    int maxWaiters;
    Duration timerInterval;
    int partitions;
    Duration maxCommandLag;
    Duration outcomeGrace;

    Values(LedgerConfig c) {
      topics = c.topics;
      replayTtl = c.replayTtl;
      skewAllowance = c.skewAllowance;
      targetDeadline = c.targetDeadline;
      maxWaiters = c.maxWaiters;
      timerInterval = c.timerInterval;
      partitions = c.partitions;
      maxCommandLag = c.maxCommandLag;
      outcomeGrace = c.outcomeGrace;
    }
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}

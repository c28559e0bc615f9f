package dev.letmepost.client;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * A capped exponential backoff: the delay after the {@code n}-th failure in a row is {@code initial
 * × 2^(n−1)}, at most {@code max}; {@link #delay(int, DoubleSupplier)} draws it from the upper half
 * of that ("equal jitter"). The one formula of every wait after a failure: a reader's restarts
 * ({@link TopicFollower}, not jittered), a publisher worker's restarts, a publish task's retries
 * and a webhook delivery's retries.
 */
public record Backoff(Duration initial, Duration max) {
  /**
   * 500 ms doubling to 30 s: a reader's and a publisher worker's restarts, and the default of a
   * publish task's retries.
   */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));

  /** How a wait is waited out: {@link #SYSTEM} sleeps; tests pass one that does not. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;

    /** Sleeps on the calling thread. */
    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis());
  }

  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "max backoff " + max + " must not be below the initial " + initial);
    }
  }

  /** The delay after the {@code failures}-th failure in a row (1 for the first), not jittered. */
  public Duration delay(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures must be at least 1, got " + failures);
    }
    Duration d = initial;
    for (int i = 1; i < failures && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }

  /**
   * The delay after the {@code failures}-th failure in a row, jittered: {@code d/2 + (d − d/2) × r}
   * milliseconds (rounded down) for the {@link #delay(int) nominal} {@code d} and {@code r} in [0,
   * 1] from {@code random}; {@code r} = 0 waits half the nominal delay, {@code r} = 1 all of it.
   */
  public Duration delay(int failures, DoubleSupplier random) {
    long nominal = delay(failures).toMillis();
    long half = nominal / 2;
    return Duration.ofMillis(half + (long) ((nominal - half) * random.getAsDouble()));
  }
}

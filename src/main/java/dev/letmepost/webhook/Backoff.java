package dev.letmepost.webhook;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * The retry schedule of a failed delivery: exponential from 30 s, doubling, capped at 4 h, each
 * delay drawn uniformly from [½, 1] of its nominal value ("equal jitter"); no attempt is made more
 * than 24 h after the first was due (docs/webhooks.md#retries).
 */
public final class Backoff {
  public static final Duration FIRST = Duration.ofSeconds(30);
  public static final Duration CAP = Duration.ofHours(4);
  public static final Duration WINDOW = Duration.ofHours(24);

  private Backoff() {}

  /** The nominal delay after the {@code failures}-th failed attempt (1 = the first). */
  public static Duration nominal(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures must be at least 1, got " + failures);
    }
    int shift = Math.min(failures - 1, 30);
    long ms = FIRST.toMillis() << shift;
    return Duration.ofMillis(Math.min(ms, CAP.toMillis()));
  }

  /** The jittered delay: {@code nominal × (0.5 + 0.5 × r)} with {@code r} in [0, 1). */
  public static Duration delay(int failures, DoubleSupplier random) {
    long nominal = nominal(failures).toMillis();
    return Duration.ofMillis(nominal / 2 + (long) (nominal / 2.0 * random.getAsDouble()));
  }
}

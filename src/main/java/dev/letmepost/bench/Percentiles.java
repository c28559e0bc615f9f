package dev.letmepost.bench;

import java.util.Arrays;

/**
 * Latency percentiles by the nearest-rank method: the p-th percentile of n samples is the ceil(p *
 * n)-th smallest, so every reported figure is a latency that was measured.
 */
public record Percentiles(int samples, double p50Ms, double p99Ms, double p999Ms, double maxMs) {

  /** The percentiles of {@code nanos}, in milliseconds; at least one sample. */
  public static Percentiles ofNanos(long[] nanos) {
    if (nanos.length == 0) {
      throw new IllegalArgumentException("no latency samples: a phase answered no request");
    }
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return new Percentiles(
        sorted.length,
        ms(rank(sorted, 0.50)),
        ms(rank(sorted, 0.99)),
        ms(rank(sorted, 0.999)),
        ms(sorted[sorted.length - 1]));
  }

  /** The nearest-rank {@code p} quantile of an ascending array (0 < p <= 1). */
  static long rank(long[] sorted, double p) {
    if (!(p > 0 && p <= 1)) {
      throw new IllegalArgumentException("quantile must be in (0, 1], got " + p);
    }
    int index = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  private static double ms(long nanos) {
    return nanos / 1_000_000.0;
  }
}

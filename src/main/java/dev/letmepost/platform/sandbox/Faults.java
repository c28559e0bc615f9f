package dev.letmepost.platform.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * The failures a {@link SandboxServer} injects into its answers, so that a connector and a worker
 * can be shown what each failure leads to.
 *
 * <p>Every {@code POST} of a post draws one random number and gets at most one fault: with
 * probability {@code errorRate} a 500 (nothing saved), {@code rateLimitRate} a 429 with {@code
 * Retry-After: 1} (nothing saved), {@code hangupRate} a hang-up after saving (the post is in
 * posts.jsonl, the connection is dropped with no HTTP answer). The rates therefore add up to at
 * most 1.
 *
 * @param latency added to every post and lookup before the answer is written (after the post was
 *     saved, so a client that times out meanwhile leaves a post behind, like a slow real platform)
 * @param lookup whether {@code GET /v1/posts/by-key/{key}} answers; false models a platform without
 *     a lookup (501 {@code lookup_disabled})
 * @param seed the seed of the random draws, for reproducible runs
 * @param dedup whether a repeated platform idempotency key answers the first post (Mastodon's
 *     behaviour, the default); false models a platform without idempotency (X, Telegram, Discord):
 *     a repeated key posts again, so a naive retry double-posts and {@code posts.jsonl} shows it
 */
public record Faults(
    Duration latency,
    double errorRate,
    double rateLimitRate,
    double hangupRate,
    boolean lookup,
    long seed,
    boolean dedup) {

  /** No fault: answers at once, always, with the lookup on. */
  public static final Faults NONE = new Faults(Duration.ZERO, 0, 0, 0, true, 0, true);

  /** Faults on a platform that deduplicates on the idempotency key. */
  public Faults(
      Duration latency,
      double errorRate,
      double rateLimitRate,
      double hangupRate,
      boolean lookup,
      long seed) {
    this(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, true);
  }

  public Faults {
    Objects.requireNonNull(latency, "latency");
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative, got " + latency);
    }
    requireRate(errorRate, "errorRate");
    requireRate(rateLimitRate, "rateLimitRate");
    requireRate(hangupRate, "hangupRate");
    double sum = errorRate + rateLimitRate + hangupRate;
    if (sum > 1 + 1e-9) {
      throw new IllegalArgumentException(
          "errorRate + rateLimitRate + hangupRate must be at most 1, got "
              + errorRate
              + " + "
              + rateLimitRate
              + " + "
              + hangupRate
              + " = "
              + sum);
    }
  }

  /** These faults with {@code latency}. */
  public Faults withLatency(Duration latency) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** These faults with {@code errorRate}. */
  public Faults withErrorRate(double errorRate) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** These faults with {@code rateLimitRate}. */
  public Faults withRateLimitRate(double rateLimitRate) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** These faults with {@code hangupRate}. */
  public Faults withHangupRate(double hangupRate) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** These faults with the lookup on or off. */
  public Faults withLookup(boolean lookup) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** These faults with the platform's dedup on the idempotency key on or off. */
  public Faults withDedup(boolean dedup) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** These faults with {@code seed}. */
  public Faults withSeed(long seed) {
    return new Faults(latency, errorRate, rateLimitRate, hangupRate, lookup, seed, dedup);
  }

  /** The fault a post gets for the random draw {@code u} in [0, 1). */
  Kind draw(double u) {
    if (u < errorRate) {
      return Kind.ERROR;
    }
    if (u < errorRate + rateLimitRate) {
      return Kind.RATE_LIMIT;
    }
    if (u < errorRate + rateLimitRate + hangupRate) {
      return Kind.HANGUP;
    }
    return Kind.NONE;
  }

  /** What one post gets. */
  enum Kind {
    NONE,
    ERROR,
    RATE_LIMIT,
    HANGUP
  }

  private static void requireRate(double rate, String name) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException(name + " must be between 0 and 1, got " + rate);
    }
  }
}

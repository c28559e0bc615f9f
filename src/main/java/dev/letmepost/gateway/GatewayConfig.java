package dev.letmepost.gateway;

import dev.letmepost.command.Limits;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How the gateway answers.
 *
 * @param answerTimeout how long {@code POST /v1/posts} waits for the ledger's answer before it
 *     returns 202 with a {@code Location} to poll
 * @param maxBodyBytes the largest request body accepted, at most {@link Limits#MAX_BODY_BYTES} (the
 *     largest body the ledger decides); larger ones get 413
 * @param fastPathMargin a stored answer is replayed without Kafka only while its record has at
 *     least this long to live; closer to expiry the ledger decides
 * @param forwardTimeout how long a read forwarded to another instance may take, over the whole
 *     exchange (connect, headers and body)
 * @param maxWaitersPerPrincipal how many requests of one principal may wait for the ledger's answer
 *     at once on this instance; past it a request is still handed to the ledger but answered {@code
 *     202} at once, with the {@code Location} to poll (waiting holds no HTTP thread, only this
 *     slot)
 */
public record GatewayConfig(
    Duration answerTimeout,
    int maxBodyBytes,
    Duration fastPathMargin,
    Duration forwardTimeout,
    int maxWaitersPerPrincipal) {
  public static final Duration DEFAULT_ANSWER_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_BODY_BYTES = Limits.MAX_BODY_BYTES;
  public static final Duration DEFAULT_FAST_PATH_MARGIN = Duration.ofMinutes(5);
  public static final Duration DEFAULT_FORWARD_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_MAX_WAITERS_PER_PRINCIPAL = 256;

  public GatewayConfig {
    positive(answerTimeout, "answerTimeout");
    positive(forwardTimeout, "forwardTimeout");
    Objects.requireNonNull(fastPathMargin, "fastPathMargin");
    if (fastPathMargin.isNegative()) {
      throw new IllegalArgumentException(
          "fastPathMargin must not be negative, got " + fastPathMargin);
    }
    if (maxWaitersPerPrincipal < 0) {
      throw new IllegalArgumentException(
          "maxWaitersPerPrincipal must not be negative, got " + maxWaitersPerPrincipal);
    }
    Optional<String> bodyLimit = maxBodyBytesProblem(maxBodyBytes);
    if (bodyLimit.isPresent()) {
      throw new IllegalArgumentException(bodyLimit.get());
    }
  }

  /**
   * Why {@code bytes} cannot be the body limit: below 1, or above {@link Limits#MAX_BODY_BYTES} (a
   * larger body could not be produced as a command the ledger decides, see {@link Limits}).
   */
  public static Optional<String> maxBodyBytesProblem(long bytes) {
    if (bytes < 1) {
      return Optional.of("the body limit must be at least 1 byte, got " + bytes);
    }
    if (bytes > Limits.MAX_BODY_BYTES) {
      return Optional.of(
          "the body limit "
              + bytes
              + " is above the ceiling of "
              + Limits.MAX_BODY_BYTES
              + " bytes, the largest command body the ledger decides");
    }
    return Optional.empty();
  }

  public static GatewayConfig defaults() {
    return new GatewayConfig(
        DEFAULT_ANSWER_TIMEOUT,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_FAST_PATH_MARGIN,
        DEFAULT_FORWARD_TIMEOUT,
        DEFAULT_MAX_WAITERS_PER_PRINCIPAL);
  }

  public GatewayConfig withAnswerTimeout(Duration timeout) {
    return new GatewayConfig(
        timeout, maxBodyBytes, fastPathMargin, forwardTimeout, maxWaitersPerPrincipal);
  }

  public GatewayConfig withMaxBodyBytes(int bytes) {
    return new GatewayConfig(
        answerTimeout, bytes, fastPathMargin, forwardTimeout, maxWaitersPerPrincipal);
  }

  public GatewayConfig withForwardTimeout(Duration timeout) {
    return new GatewayConfig(
        answerTimeout, maxBodyBytes, fastPathMargin, timeout, maxWaitersPerPrincipal);
  }

  /**
   * The waiter bound per principal; 0 answers every request that would wait {@code 202} at once.
   */
  public GatewayConfig withMaxWaitersPerPrincipal(int waiters) {
    return new GatewayConfig(answerTimeout, maxBodyBytes, fastPathMargin, forwardTimeout, waiters);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}

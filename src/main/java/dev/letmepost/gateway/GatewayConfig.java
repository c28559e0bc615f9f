package dev.letmepost.gateway;

import java.time.Duration;
import java.util.Objects;

/**
 * How the gateway answers.
 *
 * @param answerTimeout how long {@code POST /v1/posts} waits for the ledger's answer before it
 *     returns 202 with a {@code Location} to poll
 * @param maxBodyBytes the largest request body accepted; larger ones get 413
 * @param fastPathMargin a stored answer is replayed without Kafka only while its record has at
 *     least this long to live; closer to expiry the ledger decides
 * @param forwardTimeout how long a read forwarded to another instance may take
 */
public record GatewayConfig(
    Duration answerTimeout, int maxBodyBytes, Duration fastPathMargin, Duration forwardTimeout) {
  public static final Duration DEFAULT_ANSWER_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  public static final Duration DEFAULT_FAST_PATH_MARGIN = Duration.ofMinutes(5);
  public static final Duration DEFAULT_FORWARD_TIMEOUT = Duration.ofSeconds(5);

  public GatewayConfig {
    positive(answerTimeout, "answerTimeout");
    positive(forwardTimeout, "forwardTimeout");
    Objects.requireNonNull(fastPathMargin, "fastPathMargin");
    if (fastPathMargin.isNegative()) {
      throw new IllegalArgumentException(
          "fastPathMargin must not be negative, got " + fastPathMargin);
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be >= 1, got " + maxBodyBytes);
    }
  }

  public static GatewayConfig defaults() {
    return new GatewayConfig(
        DEFAULT_ANSWER_TIMEOUT,
        DEFAULT_MAX_BODY_BYTES,
        DEFAULT_FAST_PATH_MARGIN,
        DEFAULT_FORWARD_TIMEOUT);
  }

  public GatewayConfig withAnswerTimeout(Duration timeout) {
    return new GatewayConfig(timeout, maxBodyBytes, fastPathMargin, forwardTimeout);
  }

  public GatewayConfig withMaxBodyBytes(int bytes) {
    return new GatewayConfig(answerTimeout, bytes, fastPathMargin, forwardTimeout);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }
}

package dev.letmepost.publish;

import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * What one platform call proved: the connector's classification, which the worker turns into
 * retries and finally one target outcome. Codes are the stable error codes of {@link ErrorCodes}.
 */
public sealed interface CallResult {

  /**
   * The stable error code of a {@link Failed}, {@link NotSent} or {@link Unclear}; null for {@link
   * Published}, {@link Absent} and {@link Unknown}, which carry none.
   */
  default String code() {
    return null;
  }

  /** What happened, in words; null for {@link Published} only. */
  String message();

  /**
   * This result with {@code edit} applied to its message; a result without message is returned as
   * is. Connectors use it to mask a secret a platform's answer may echo.
   */
  default CallResult withMessage(UnaryOperator<String> edit) {
    if (this instanceof Failed r) {
      return new Failed(r.code(), edit.apply(r.message()));
    }
    if (this instanceof NotSent r) {
      return new NotSent(r.code(), edit.apply(r.message()), r.retryAfter());
    }
    if (this instanceof Unclear r) {
      return new Unclear(r.code(), edit.apply(r.message()));
    }
    if (this instanceof Absent r) {
      return new Absent(edit.apply(r.message()));
    }
    if (this instanceof Unknown r) {
      return new Unknown(edit.apply(r.message()));
    }
    return this;
  }

  /**
   * The post exists on the platform (made now, or found by reconciliation).
   *
   * @param postId the platform's id for the post, or null where the platform returns none (Slack's
   *     incoming webhooks)
   * @param uri a link to the post, or null where none can be built
   */
  record Published(String postId, String uri) implements CallResult {
    @Override
    public String message() {
      return null;
    }
  }

  /**
   * The platform did nothing and retrying will not help (invalid content, auth refused, account
   * gone): the target's outcome is {@code failed} with this code, not retryable.
   */
  record Failed(String code, String message) implements CallResult {
    public Failed {
      requireText(code, message);
    }
  }

  /**
   * The platform provably did nothing, and a later identical call may succeed (connection refused,
   * 429, 503 with Retry-After, a session that could not be opened for a transient reason). The
   * worker retries with backoff, no sooner than {@code retryAfter} when the platform said so, until
   * the target's deadline; past it the outcome is {@code failed} with this code, retryable.
   *
   * @param retryAfter the platform's wait hint, or null
   */
  record NotSent(String code, String message, Duration retryAfter) implements CallResult {
    public NotSent {
      requireText(code, message);
    }

    public NotSent(String code, String message) {
      this(code, message, null);
    }
  }

  /**
   * The request may have reached the platform and the post may exist (read timeout, connection lost
   * after sending, a 5xx after the request was sent, a 2xx whose body cannot be read). The worker
   * never publishes again blindly: it calls {@link Connector#reconcile}.
   */
  record Unclear(String code, String message) implements CallResult {
    public Unclear {
      requireText(code, message);
    }
  }

  /**
   * From {@link Connector#reconcile} only: the platform proves the post does not exist, so
   * publishing now cannot make a second post.
   */
  record Absent(String message) implements CallResult {
    public Absent {
      requireText("absent", message);
    }
  }

  /**
   * Nobody can know whether the post exists: the outcome is {@code unknown} with code {@code
   * outcome_unknown}. Used when the platform has neither a lookup nor an idempotency key, or
   * answers a retry with a duplicate error that does not name the original post.
   */
  record Unknown(String message) implements CallResult {
    public Unknown {
      requireText("unknown", message);
    }
  }

  private static void requireText(String code, String message) {
    if (code == null || code.isBlank() || message == null || message.isBlank()) {
      throw new IllegalArgumentException(
          "a call result needs a code and a message, got '" + code + "', '" + message + "'");
    }
  }
}

package dev.letmepost.publish;

import java.util.Objects;

/**
 * A platform call that ended without an HTTP answer, already classified: thrown by {@link
 * PlatformHttp#send} and turned into its {@link #result()} by the worker. Its message is the
 * result's message, which never holds a secret.
 */
public final class CallFailure extends RuntimeException {
  private final transient CallResult result;

  public CallFailure(CallResult result) {
    super(describe(result), null, false, false);
    this.result = Objects.requireNonNull(result, "result");
  }

  public CallResult result() {
    return result;
  }

  private static String describe(CallResult result) {
    return result.code() != null ? result.code() + ": " + result.message() : String.valueOf(result);
  }
}

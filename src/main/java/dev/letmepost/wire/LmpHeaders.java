package dev.letmepost.wire;

/**
 * Names of the record headers of the contract (docs/contract.md#command-headers, #result-headers),
 * in lower case as the ledger writes them. A command's headers are read in any ASCII case ({@link
 * #matches}), as HTTP header names are, so that a bridge forwarding {@code Idempotency-Key}
 * unchanged is understood.
 */
public final class LmpHeaders {
  /** Command: id of the API key the command acts for. Required. */
  public static final String PRINCIPAL = "lmp-principal";

  /** Command and result: the client's idempotency key. */
  public static final String IDEMPOTENCY_KEY = "idempotency-key";

  /** Command and result: correlation id, derived when the command has none. */
  public static final String REQUEST_ID = "lmp-request-id";

  /** Command: HTTP-style method, default POST. */
  public static final String METHOD = "lmp-method";

  /** Command: HTTP-style path, default /v1/posts. */
  public static final String PATH = "lmp-path";

  /** Result: HTTP-style status code. */
  public static final String STATUS = "lmp-status";

  /** Result: {@code true} when the answer is a stored one. */
  public static final String REPLAYED = "idempotent-replayed";

  /** Result: the batch the answer is about. */
  public static final String BATCH_ID = "lmp-batch-id";

  /** Result: when the replay record expires, RFC 3339. */
  public static final String KEY_EXPIRES = "lmp-key-expires";

  /** Dead letter: a stable error code. */
  public static final String ERROR_CODE = "lmp-error-code";

  /** Dead letter: what was wrong, naming the offending value. */
  public static final String ERROR_MESSAGE = "lmp-error-message";

  /** Dead letter: where the record came from. */
  public static final String ERROR_TOPIC = "lmp-error-topic";

  public static final String ERROR_PARTITION = "lmp-error-partition";
  public static final String ERROR_OFFSET = "lmp-error-offset";

  public static final String DEFAULT_METHOD = "POST";
  public static final String DEFAULT_PATH = "/v1/posts";

  private LmpHeaders() {}

  /**
   * Whether the record header key {@code key} is the contract header {@code name} (lower-case
   * ASCII) in any ASCII case. Only ASCII letters fold: a non-ASCII character that Unicode case
   * folding would map to an ASCII letter (the Kelvin sign for {@code k}) does not match.
   */
  public static boolean matches(String key, String name) {
    if (key.length() != name.length()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        c = (char) (c + ('a' - 'A'));
      }
      if (c != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}

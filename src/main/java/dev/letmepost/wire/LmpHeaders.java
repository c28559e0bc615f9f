package dev.letmepost.wire;

import dev.letmepost.client.Headers;

/**
 * The record headers of the contract (docs/contract.md#command-headers, #result-headers) as the
 * server's packages name them: the names are {@link Headers}' (their one home). A command's headers
 * are read in any ASCII case ({@link #matches}), as HTTP header names are, so that a bridge
 * forwarding {@code Idempotency-Key} unchanged is understood.
 */
public final class LmpHeaders {
  public static final String PRINCIPAL = Headers.PRINCIPAL;
  public static final String IDEMPOTENCY_KEY = Headers.IDEMPOTENCY_KEY;
  public static final String REQUEST_ID = Headers.REQUEST_ID;
  public static final String METHOD = Headers.METHOD;
  public static final String PATH = Headers.PATH;
  public static final String STATUS = Headers.STATUS;
  public static final String REPLAYED = Headers.REPLAYED;
  public static final String BATCH_ID = Headers.BATCH_ID;
  public static final String KEY_EXPIRES = Headers.KEY_EXPIRES;
  public static final String ERROR_CODE = Headers.ERROR_CODE;
  public static final String ERROR_MESSAGE = Headers.ERROR_MESSAGE;
  public static final String ERROR_TOPIC = Headers.ERROR_TOPIC;
  public static final String ERROR_PARTITION = Headers.ERROR_PARTITION;
  public static final String ERROR_OFFSET = Headers.ERROR_OFFSET;
  public static final String DEFAULT_METHOD = Headers.DEFAULT_METHOD;
  public static final String DEFAULT_PATH = Headers.DEFAULT_PATH;

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

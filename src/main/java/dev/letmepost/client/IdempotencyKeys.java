package dev.letmepost.client;

import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Idempotency keys: their format rule (1 to {@value #MAX_LENGTH} printable ASCII characters, the
 * rule's one home; {@code command.IdempotencyKeys} applies it on the server), the header value that
 * carries one (HTTP's {@code Idempotency-Key} and the Kafka {@code idempotency-key} header alike:
 * {@link #parseHeader}, {@link #headerValue}), and keys derived from the ids an upstream system
 * already has, so that a retried workflow step reuses its key.
 */
public final class IdempotencyKeys {
  /*
   * The header value (draft-ietf-httpapi-idempotency-key-header): an RFC 8941 sf-string,
   * `"8e03978e-..."`, whose key is the string it quotes; the bare form (today's and many clients')
   * is the key itself. The form is decided by the first character alone: a value that starts with
   * a double quote is always an sf-string, never a bare key. So each header value names at most
   * one key and no two forms collide: bare `"a"` is the sf-string for the key `a`, exactly as
   * quoted `a`; the key made of the three characters `"a"` is sent `"\"a\""`. A key that starts
   * with a double quote can only be sent quoted, which headerValue does; every other key is written
   * bare, so a consumer that predates the sf-string form reads what it always read.
   *
   * Only SP after the closing quote is allowed (RFC 8941 discards it); anything else there,
   * parameters included (the draft defines none), is refused rather than ignored, so that two
   * values that differ only there never count as one key without the sender knowing.
   */
  public static final int MAX_LENGTH = 128;

  /** The most characters of an offending header value a problem quotes. */
  static final int ECHO_CHARS = 64;

  /** The prefix of a {@link #fromUpstream derived} key. */
  static final String PREFIX = "up_";

  /**
   * Hashed first, so that a derived key never equals a hash of the same ids made for another use.
   */
  private static final String DOMAIN = "lmp-upstream-key";

  private static final HexFormat HEX = HexFormat.of();

  private IdempotencyKeys() {}

  /** Why {@code key} is not a valid idempotency key, or empty when it is. */
  public static Optional<String> problem(String key) {
    if (key.isEmpty()) {
      return Optional.of("Idempotency-Key must not be empty");
    }
    if (key.length() > MAX_LENGTH) {
      return Optional.of(
          "Idempotency-Key must be at most " + MAX_LENGTH + " characters, got " + key.length());
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return Optional.of(
            String.format(
                "Idempotency-Key must be printable ASCII; character %d is U+%04X", i, (int) c));
      }
    }
    return Optional.empty();
  }

  /**
   * The key a header value names (sf-string or bare, see the class), or why it names none: a
   * malformed sf-string (unterminated, a bad escape, a character outside 0x20-0x7E, characters
   * after the closing quote) or a key that breaks the format rule ({@link #problem}).
   */
  public static HeaderKey parseHeader(String value) {
    Objects.requireNonNull(value, "value");
    if (value.isEmpty() || value.charAt(0) != '"') {
      return problem(value)
          .<HeaderKey>map(HeaderKey.Malformed::new)
          .orElse(new HeaderKey.Key(value));
    }
    StringBuilder key = new StringBuilder(value.length());
    int i = 1;
    while (true) {
      if (i == value.length()) {
        return malformed("is an unterminated sf-string (no closing quote)", value);
      }
      char c = value.charAt(i);
      if (c == '\\') {
        if (i + 1 == value.length()) {
          return malformed("is an unterminated sf-string (ends in a backslash)", value);
        }
        char escaped = value.charAt(i + 1);
        if (escaped != '"' && escaped != '\\') {
          return malformed(
              String.format("has a bad escape at character %d (only \\\" and \\\\ are escapes)", i),
              value);
        }
        key.append(escaped);
        i += 2;
      } else if (c == '"') {
        break;
      } else if (c < 0x20 || c > 0x7e) {
        return malformed(
            String.format("has character %d U+%04X, outside 0x20-0x7E", i, (int) c), value);
      } else {
        key.append(c);
        i++;
      }
    }
    for (int j = i + 1; j < value.length(); j++) {
      if (value.charAt(j) != ' ') {
        return malformed(
            "has characters after the closing quote at character " + i + " (sf-string)", value);
      }
    }
    String decoded = key.toString();
    return problem(decoded)
        .<HeaderKey>map(HeaderKey.Malformed::new)
        .orElse(new HeaderKey.Key(decoded));
  }

  /**
   * The header value that carries {@code key}: the key itself, or its sf-string when it starts with
   * a double quote (the one form in which it is not ambiguous); {@link #parseHeader} reads it back
   * as {@code key}.
   */
  public static String headerValue(String key) {
    return key.isEmpty() || key.charAt(0) != '"' ? key : sfString(key);
  }

  /** {@code key} as an RFC 8941 sf-string: quoted, with {@code "} and {@code \} escaped. */
  public static String sfString(String key) {
    StringBuilder out = new StringBuilder(key.length() + 2).append('"');
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  /** What an {@code Idempotency-Key} header value names: a key, or why it names none. */
  public sealed interface HeaderKey {
    /** A well-formed header value: the key it names, which meets the format rule. */
    record Key(String key) implements HeaderKey {}

    /** A header value that names no valid key: why, quoting the value. */
    record Malformed(String problem) implements HeaderKey {}
  }

  private static HeaderKey malformed(String what, String value) {
    return new HeaderKey.Malformed("Idempotency-Key " + echo(value) + " " + what);
  }

  /** {@code value} Java-quoted for a message: its first {@value #ECHO_CHARS} characters. */
  private static String echo(String value) {
    StringBuilder out = new StringBuilder("'");
    int n = Math.min(value.length(), ECHO_CHARS);
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        out.append(String.format("\\u%04X", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('\'');
    if (value.length() > n) {
      out.append(" (first ").append(n).append(" of ").append(value.length()).append(" chars)");
    }
    return out.toString();
  }

  /**
   * The key of one step of an upstream workflow: {@code up_} + hex SHA-256 of the workflow id and
   * the step, each length-prefixed (67 characters, always a valid key). The same workflow and step
   * give the same key on every retry, whatever the ids hold, and no two (workflow, step) pairs
   * share one.
   *
   * <p>Pass ids that stay the same across retries of the step (a workflow run id, an order id, a
   * step name), never an attempt number or a time: a key that changes on retry is a new request,
   * and the post goes out again.
   */
  public static String fromUpstream(String workflowId, String step) {
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(step, "step");
    return PREFIX + HEX.formatHex(Fingerprint.lengthPrefixed(DOMAIN, workflowId, step));
  }
}

package dev.letmepost.command;

import dev.letmepost.client.IdempotencyKeys.HeaderKey;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.LmpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Reads a raw post-command record (headers plus exact body bytes) into a {@link Command}, or
 * rejects it with {@link UnreadableCommandException} when no answer can even be addressed: no
 * principal, a repeated or non-UTF-8 identity header, an unusable request id, an identity header
 * over its length limit ({@link Limits}).
 *
 * <p>The contract's headers are matched in any ASCII case ({@link LmpHeaders#matches}), in one pass
 * over the record's headers: a bridge forwarding HTTP's {@code Idempotency-Key} is read as {@code
 * idempotency-key}, and two spellings of one header count as a repeated header.
 *
 * <p>The {@code idempotency-key} header follows HTTP's rule ({@link IdempotencyKeys#parseHeader}):
 * an sf-string names the key it quotes, so {@code "k"} and {@code k} are one key with one
 * fingerprint. Values that can be answered (a header that names no valid key, an unknown route, a
 * bad body) are not judged here: the command carries the key's problem and the ledger answers them
 * on the results topic.
 */
public final class CommandReader {
  /** The headers read, in slot order. */
  private static final String[] NAMES = {
    LmpHeaders.PRINCIPAL,
    LmpHeaders.IDEMPOTENCY_KEY,
    LmpHeaders.REQUEST_ID,
    LmpHeaders.METHOD,
    LmpHeaders.PATH
  };

  private static final int PRINCIPAL = 0;
  private static final int KEY = 1;
  private static final int REQUEST_ID = 2;
  private static final int METHOD = 3;
  private static final int PATH = 4;

  private CommandReader() {}

  /**
   * @param sourceId where the record was read from ({@code topic/partition/offset}): unique per
   *     record, it derives the request id when the record has none, and the fingerprint of a
   *     command without idempotency key so that such commands never meet each other
   */
  public static Command read(Headers headers, byte[] value, String sourceId) {
    String[] found = contractHeaders(headers);
    String principal = found[PRINCIPAL];
    if (principal == null || principal.isBlank()) {
      throw new UnreadableCommandException(
          "missing_principal", "the command has no " + LmpHeaders.PRINCIPAL + " header");
    }
    bounded("invalid_principal", LmpHeaders.PRINCIPAL, principal, Limits.MAX_PRINCIPAL_CHARS);
    String method = orDefault(found[METHOD], LmpHeaders.DEFAULT_METHOD);
    bounded("invalid_method", LmpHeaders.METHOD, method, Limits.MAX_METHOD_CHARS);
    String path = orDefault(found[PATH], LmpHeaders.DEFAULT_PATH);
    bounded("invalid_path", LmpHeaders.PATH, path, Limits.MAX_PATH_CHARS);
    String key = null;
    String keyProblem = null;
    if (found[KEY] != null) {
      HeaderKey parsed = IdempotencyKeys.parseHeader(found[KEY]);
      if (parsed instanceof HeaderKey.Key k) {
        key = k.key();
      } else {
        keyProblem = ((HeaderKey.Malformed) parsed).problem();
      }
    }
    String requestId = found[REQUEST_ID];
    if (requestId == null) {
      requestId =
          "req_" + Hashing.sha256Hex(sourceId.getBytes(StandardCharsets.UTF_8)).substring(0, 26);
    } else {
      requestId(requestId);
    }
    byte[] body = value == null ? new byte[0] : value;
    String fingerprint =
        key == null
            ? Hashing.keylessFingerprint(principal, method, path, sourceId)
            : Hashing.fingerprint(principal, method, path, key);
    return new Command(
        requestId,
        principal,
        method,
        path,
        key,
        fingerprint,
        Hashing.sha256Hex(body),
        ByteString.copyOf(body),
        keyProblem);
  }

  /**
   * The values of the contract's headers by slot (null when absent), in one pass: each must appear
   * at most once in any spelling, with a value that is strict UTF-8.
   */
  private static String[] contractHeaders(Headers headers) {
    String[] values = new String[NAMES.length];
    String[] spelling = new String[NAMES.length];
    CharsetDecoder decoder = null;
    for (Header h : headers) {
      int slot = slot(h.key());
      if (slot < 0) {
        continue;
      }
      String name = NAMES[slot];
      if (spelling[slot] != null) {
        throw new UnreadableCommandException(
            "repeated_header",
            "header "
                + name
                + " appears more than once (as '"
                + spelling[slot]
                + "' and '"
                + h.key()
                + "'; header names are matched in any case)");
      }
      spelling[slot] = h.key();
      if (h.value() == null) {
        throw new UnreadableCommandException("invalid_header", "header " + name + " has no value");
      }
      if (decoder == null) {
        decoder =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
      }
      try {
        values[slot] = decoder.reset().decode(ByteBuffer.wrap(h.value())).toString();
      } catch (CharacterCodingException e) {
        throw new UnreadableCommandException(
            "invalid_header_encoding",
            "header " + name + " is not valid UTF-8 (" + h.value().length + " bytes)");
      }
    }
    return values;
  }

  private static int slot(String key) {
    if (key == null) {
      return -1;
    }
    for (int i = 0; i < NAMES.length; i++) {
      if (LmpHeaders.matches(key, NAMES[i])) {
        return i;
      }
    }
    return -1;
  }

  private static void bounded(String code, String name, String value, int max) {
    if (value.length() > max) {
      throw new UnreadableCommandException(
          code,
          name
              + " must be at most "
              + max
              + " characters, got "
              + value.length()
              + ": '"
              + Limits.echo(value)
              + "'");
    }
  }

  /** A request id: 1 to {@link Limits#MAX_REQUEST_ID_CHARS} characters, not blank, no controls. */
  private static void requestId(String requestId) {
    if (requestId.isBlank() || requestId.length() > Limits.MAX_REQUEST_ID_CHARS) {
      throw new UnreadableCommandException(
          "invalid_request_id",
          LmpHeaders.REQUEST_ID
              + " must be 1-"
              + Limits.MAX_REQUEST_ID_CHARS
              + " non-blank characters, got "
              + requestId.length()
              + ": '"
              + Limits.echo(requestId)
              + "'");
    }
    for (int i = 0; i < requestId.length(); i++) {
      char c = requestId.charAt(i);
      if (Character.isISOControl(c)) {
        throw new UnreadableCommandException(
            "invalid_request_id",
            String.format(
                "%s must not hold control characters; character %d is U+%04X",
                LmpHeaders.REQUEST_ID, i, (int) c));
      }
    }
  }

  private static String orDefault(String value, String fallback) {
    return value == null ? fallback : value;
  }
}

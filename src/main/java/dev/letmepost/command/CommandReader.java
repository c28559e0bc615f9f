package dev.letmepost.command;

import dev.letmepost.wire.LmpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Reads a raw post-command record (headers plus exact body bytes) into a {@link Command}, or
 * rejects it with {@link UnreadableCommandException} when no answer can even be addressed: no
 * principal, a repeated or non-UTF-8 identity header, an unusable request id.
 *
 * <p>Values that can be answered (an invalid idempotency key, an unknown route, a bad body) are not
 * judged here: the ledger answers them on the results topic.
 */
public final class CommandReader {
  static final int MAX_REQUEST_ID_LENGTH = 200;

  private CommandReader() {}

  /**
   * @param sourceId where the record was read from ({@code topic/partition/offset}): unique per
   *     record, it derives the request id when the record has none, and the fingerprint of a
   *     command without idempotency key so that such commands never meet each other
   */
  public static Command read(Headers headers, byte[] value, String sourceId) {
    String principal = single(headers, LmpHeaders.PRINCIPAL);
    if (principal == null || principal.isBlank()) {
      throw new UnreadableCommandException(
          "missing_principal", "the command has no " + LmpHeaders.PRINCIPAL + " header");
    }
    String method = orDefault(single(headers, LmpHeaders.METHOD), LmpHeaders.DEFAULT_METHOD);
    String path = orDefault(single(headers, LmpHeaders.PATH), LmpHeaders.DEFAULT_PATH);
    String key = single(headers, LmpHeaders.IDEMPOTENCY_KEY);
    String requestId = single(headers, LmpHeaders.REQUEST_ID);
    if (requestId == null) {
      requestId =
          "req_" + Hashing.sha256Hex(sourceId.getBytes(StandardCharsets.UTF_8)).substring(0, 26);
    } else if (requestId.isBlank() || requestId.length() > MAX_REQUEST_ID_LENGTH) {
      throw new UnreadableCommandException(
          "invalid_request_id",
          LmpHeaders.REQUEST_ID
              + " must be 1-"
              + MAX_REQUEST_ID_LENGTH
              + " non-blank characters, got '"
              + abbreviate(requestId)
              + "'");
    }
    byte[] body = value == null ? new byte[0] : value;
    byte[] fingerprint =
        key == null
            ? Hashing.lengthPrefixed(principal, method, path, null, sourceId)
            : Hashing.lengthPrefixed(principal, method, path, key);
    return new Command(
        requestId,
        principal,
        method,
        path,
        key,
        Hashing.hex(fingerprint),
        Hashing.sha256Hex(body),
        body);
  }

  /** The value of a header that must appear at most once, decoded as strict UTF-8. */
  private static String single(Headers headers, String name) {
    String found = null;
    int count = 0;
    for (Header h : headers.headers(name)) {
      count++;
      if (count > 1) {
        throw new UnreadableCommandException(
            "repeated_header", "header " + name + " appears more than once");
      }
      if (h.value() == null) {
        throw new UnreadableCommandException("invalid_header", "header " + name + " has no value");
      }
      try {
        found =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(h.value()))
                .toString();
      } catch (CharacterCodingException e) {
        throw new UnreadableCommandException(
            "invalid_header_encoding",
            "header " + name + " is not valid UTF-8 (" + h.value().length + " bytes)");
      }
    }
    return found;
  }

  private static String orDefault(String value, String fallback) {
    return value == null ? fallback : value;
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...(" + s.length() + " chars)";
  }
}

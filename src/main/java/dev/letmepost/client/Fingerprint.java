package dev.letmepost.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The request fingerprint (docs/contract.md#the-idempotency-table): the ledger's key for a
 * request's replay record and the record key a command is best produced under. This class is its
 * one home; the ledger ({@code command.Hashing}) and every producer derive it here.
 */
public final class Fingerprint {
  private static final HexFormat HEX = HexFormat.of();

  private Fingerprint() {}

  /**
   * The fingerprint of a command with an idempotency key: lower-case hex SHA-256 of principal,
   * method, path and key, {@link #lengthPrefixed length-prefixed}. Every retry with the same key
   * meets the same record.
   */
  public static String of(String principal, String method, String path, String idempotencyKey) {
    return HEX.formatHex(lengthPrefixed(principal, method, path, idempotencyKey));
  }

  /**
   * The fingerprint of a command without idempotency key: {@code sourceId} (where the ledger read
   * the record, {@code topic/partition/offset}) takes the key's place after a null, so no two such
   * commands share a record and none meets a keyed one. A producer cannot know it before the record
   * is written, so a keyless command is produced under its request id ({@link
   * Command#recordKey()}).
   */
  public static String ofKeyless(String principal, String method, String path, String sourceId) {
    return HEX.formatHex(lengthPrefixed(principal, method, path, null, sourceId));
  }

  /**
   * SHA-256 over the fields, each prefixed by its UTF-8 length as a 4-byte big-endian int, so that
   * no two field lists share an encoding; a null field is encoded as length -1.
   */
  public static byte[] lengthPrefixed(String... fields) {
    MessageDigest digest = sha256();
    ByteBuffer length = ByteBuffer.allocate(4);
    for (String field : fields) {
      byte[] bytes = field == null ? null : field.getBytes(StandardCharsets.UTF_8);
      length.clear();
      length.putInt(bytes == null ? -1 : bytes.length);
      digest.update(length.array());
      if (bytes != null) {
        digest.update(bytes);
      }
    }
    return digest.digest();
  }

  /** A new SHA-256 digest. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}

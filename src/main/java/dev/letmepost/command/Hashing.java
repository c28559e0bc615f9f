package dev.letmepost.command;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers for the fingerprint, the body hash and the ids derived from them. */
public final class Hashing {
  private static final HexFormat HEX = HexFormat.of();
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

  private Hashing() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** SHA-256 of the exact bytes, lower-case hex. */
  public static String sha256Hex(byte[] bytes) {
    return HEX.formatHex(sha256().digest(bytes));
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

  /**
   * The request fingerprint, the replay record's key: hex SHA-256 of principal, method, path and
   * idempotency key, {@link #lengthPrefixed length-prefixed}. Every retry with the same key meets
   * the same record; the ledger and the gateway both derive it here.
   */
  public static String fingerprint(
      String principal, String method, String path, String idempotencyKey) {
    return hex(lengthPrefixed(principal, method, path, idempotencyKey));
  }

  /**
   * The fingerprint of a command without idempotency key: {@code sourceId} (where the record was
   * read from) takes the key's place after a null, so no two such commands share a record and none
   * meets a keyed one.
   */
  public static String keylessFingerprint(
      String principal, String method, String path, String sourceId) {
    return hex(lengthPrefixed(principal, method, path, null, sourceId));
  }

  public static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  /**
   * A ULID-shaped id (26 Crockford base32 characters): 48 bits of {@code epochMillis} then 80 bits
   * taken from {@code entropy}. Derived, not random, so that reprocessing the same record yields
   * the same id.
   */
  public static String ulid(long epochMillis, byte[] entropy) {
    char[] out = new char[26];
    long time = Math.max(0, epochMillis) & 0xFFFF_FFFF_FFFFL;
    for (int i = 9; i >= 0; i--) {
      out[i] = CROCKFORD[(int) (time & 31)];
      time >>>= 5;
    }
    // 80 bits of entropy = 16 characters of 5 bits.
    int bit = 0;
    for (int i = 10; i < 26; i++) {
      int value = 0;
      for (int b = 0; b < 5; b++, bit++) {
        value = (value << 1) | ((entropy[bit / 8] >>> (7 - bit % 8)) & 1);
      }
      out[i] = CROCKFORD[value];
    }
    return new String(out);
  }
}

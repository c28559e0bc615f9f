package dev.letmepost.command;

import dev.letmepost.client.Fingerprint;
import java.security.MessageDigest;
import java.util.HexFormat;

/** SHA-256 helpers for the fingerprint, the body hash and the ids derived from them. */
public final class Hashing {
  private static final HexFormat HEX = HexFormat.of();
  private static final char[] CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

  private Hashing() {}

  /** A new SHA-256 digest ({@link Fingerprint#sha256()}). */
  public static MessageDigest sha256() {
    return Fingerprint.sha256();
  }

  /** SHA-256 of the exact bytes, lower-case hex. */
  public static String sha256Hex(byte[] bytes) {
    return HEX.formatHex(sha256().digest(bytes));
  }

  /**
   * SHA-256 over the fields, each length-prefixed; the fingerprint's encoding, whose home is {@link
   * Fingerprint#lengthPrefixed}.
   */
  public static byte[] lengthPrefixed(String... fields) {
    return Fingerprint.lengthPrefixed(fields);
  }

  /**
   * The request fingerprint, the replay record's key: {@link Fingerprint#of}, the one derivation
   * the ledger, the gateway and every producer share.
   */
  public static String fingerprint(
      String principal, String method, String path, String idempotencyKey) {
    return Fingerprint.of(principal, method, path, idempotencyKey);
  }

  /** The fingerprint of a command without idempotency key: {@link Fingerprint#ofKeyless}. */
  public static String keylessFingerprint(
      String principal, String method, String path, String sourceId) {
    return Fingerprint.ofKeyless(principal, method, path, sourceId);
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

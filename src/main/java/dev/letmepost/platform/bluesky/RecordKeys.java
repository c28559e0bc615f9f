package dev.letmepost.platform.bluesky;

import dev.letmepost.wire.PublishTask;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * AT Protocol timestamp identifiers (TIDs) used as record keys, and the one record key a publish
 * task always gets.
 */
final class RecordKeys {
  /*
   * The TID spec (atproto.com/specs/tid): a 64-bit integer whose top bit is 0, then 53 bits of
   * microseconds since the UNIX epoch, then a 10-bit "clock identifier"; written big-endian in
   * base32-sortable (`234567abcdefghijklmnopqrstuvwxyz`), all 13 digits always, so zero is
   * `2222222222222` and string order is time order.
   *
   * A task's key is computed from the task alone, so every attempt (and every worker, after a
   * crash) targets the same record: the timestamp is the task's recordedAt in microseconds, its
   * sub-millisecond digits and the clock id taken from SHA-256 of the platform idempotency key.
   * Tasks recorded in the same millisecond then still differ (one in ~10^6 pairs collide; they
   * would need the same account too, since record keys are per repository). The spec asks for a
   * random clock id; a hash of a unique key is as good for that purpose and repeatable.
   */

  static final String ALPHABET = "234567abcdefghijklmnopqrstuvwxyz";
  static final long MAX_MICROS = (1L << 53) - 1;

  private RecordKeys() {}

  /** The record key of {@code task}'s post: the same on every attempt, different per task. */
  static String forTask(PublishTask task) {
    byte[] hash = sha256(task.platformIdempotencyKey());
    int subMillis = (((hash[0] & 0xff) << 8) | (hash[1] & 0xff)) % 1000;
    int clockId = (((hash[2] & 0xff) << 8) | (hash[3] & 0xff)) & 0x3ff;
    long micros = Math.multiplyExact(task.recordedAt(), 1000L) + subMillis;
    return tid(micros, clockId);
  }

  /** The TID of {@code micros} since the epoch and {@code clockId} (0 to 1023). */
  static String tid(long micros, int clockId) {
    if (micros < 0 || micros > MAX_MICROS) {
      throw new IllegalArgumentException(
          "a TID holds 0 to 2^53-1 microseconds since the epoch, got " + micros);
    }
    if (clockId < 0 || clockId > 0x3ff) {
      throw new IllegalArgumentException("a TID clock id is 0 to 1023, got " + clockId);
    }
    long value = (micros << 10) | clockId;
    char[] digits = new char[13];
    for (int i = 12; i >= 0; i--) {
      digits[i] = ALPHABET.charAt((int) (value & 31));
      value >>>= 5;
    }
    return new String(digits);
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}

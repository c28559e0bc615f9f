package dev.letmepost.ledger;

import dev.letmepost.wire.Json;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The request index's value ({@link RequestEntry}) as a compact binary value: a format byte, then
 * principal, idempotency key and fingerprint as strings, window time, status and key expiry as
 * optional fixed-width numbers, and the answer body's bytes as they are ({@link Binary}). A value
 * written by an earlier version as JSON (first byte {@code {}) is still read; only the binary
 * format is written. Every request writes one entry, so its serde is on the path of every replay.
 */
final class RequestEntryCodec {
  static final byte FORMAT_1 = 1;
  private static final byte JSON_OPEN = '{';

  private RequestEntryCodec() {}

  static Serde<RequestEntry> serde() {
    return Serdes.serdeFrom(
        (topic, e) -> e == null ? null : write(e),
        (topic, bytes) -> bytes == null ? null : read(bytes));
  }

  static byte[] write(RequestEntry e) {
    Binary.Out out = new Binary.Out(128 + (e.body() == null ? 0 : e.body().length));
    out.b(FORMAT_1);
    out.str(e.principal());
    out.str(e.idempotencyKey());
    out.str(e.fingerprint());
    out.optI64(e.windowTime());
    out.optI64(e.status() == null ? null : e.status().longValue());
    out.optI64(e.keyExpires());
    out.bytes(e.body());
    return out.toArray();
  }

  /**
   * Reads a value in format 1, or in the JSON of earlier versions; anything else throws {@link
   * SerializationException} naming what was wrong.
   */
  static RequestEntry read(byte[] bytes) {
    if (bytes.length == 0) {
      throw new SerializationException("not a request entry: an empty value");
    }
    if (bytes[0] == JSON_OPEN) {
      return Json.read(bytes, RequestEntry.class);
    }
    if (bytes[0] != FORMAT_1) {
      throw new SerializationException(
          "not a request entry: unknown format byte "
              + (bytes[0] & 0xff)
              + " in a value of "
              + bytes.length
              + " bytes");
    }
    Binary.In in = new Binary.In(bytes, 1);
    try {
      String principal = in.str();
      String idempotencyKey = in.str();
      String fingerprint = in.str();
      Long windowTime = in.optI64();
      Long status = in.optI64();
      Long keyExpires = in.optI64();
      byte[] body = in.bytes();
      if (in.pos != bytes.length) {
        throw new SerializationException(
            "not a request entry: " + (bytes.length - in.pos) + " trailing bytes");
      }
      return new RequestEntry(
          principal,
          idempotencyKey,
          fingerprint,
          windowTime,
          status == null ? null : Math.toIntExact(status),
          keyExpires,
          body);
    } catch (ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new SerializationException(
          "not a request entry: truncated at byte " + in.pos + " of " + bytes.length, e);
    } catch (IllegalArgumentException | NullPointerException | ArithmeticException e) {
      throw new SerializationException("not a request entry: " + e.getMessage(), e);
    }
  }
}

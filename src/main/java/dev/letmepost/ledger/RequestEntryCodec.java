package dev.letmepost.ledger;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;

/**
 * The request index's value ({@link RequestEntry}) as a compact binary value: a format byte, then
 * principal, idempotency key and fingerprint as strings, window time, status and key expiry as
 * optional fixed-width numbers, and the answer body's bytes as they are ({@link Binary}). Every
 * request writes one entry, so its serde is on the path of every replay.
 */
final class RequestEntryCodec {
  static final byte FORMAT_1 = 1;

  private RequestEntryCodec() {}

  static Serde<RequestEntry> serde() {
    return Binary.serde(RequestEntryCodec::write, RequestEntryCodec::read);
  }

  static byte[] write(RequestEntry e) {
    Binary.Out out = new Binary.Out(128 + (e.body() == null ? 0 : e.body().size()));
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
   * Reads a value in format 1; anything else throws {@link SerializationException} naming what was
   * wrong.
   */
  static RequestEntry read(byte[] bytes) {
    return Binary.read(bytes, FORMAT_1, "request entry", RequestEntryCodec::readFormat1);
  }

  private static RequestEntry readFormat1(Binary.In in) {
    String principal = in.str();
    String idempotencyKey = in.str();
    String fingerprint = in.str();
    Long windowTime = in.optI64();
    Long status = in.optI64();
    Long keyExpires = in.optI64();
    return new RequestEntry(
        principal,
        idempotencyKey,
        fingerprint,
        windowTime,
        status == null ? null : Math.toIntExact(status),
        keyExpires,
        in.bytes());
  }
}

package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import java.util.Objects;

/**
 * One entry of the request index: what the ledger did with one request id. Either a pointer to the
 * replay record the request is answered from ({@code fingerprint} and {@code windowTime}, where it
 * is filed: a new batch, a replay, a waiter) or the answer itself when no record holds it (an
 * error: {@code status} and {@code body}).
 *
 * @param keyExpires epoch ms the key's replay record expires, for an error answered about a live
 *     record (409 in progress, 422 conflict); null otherwise
 */
record RequestEntry(
    String principal,
    String idempotencyKey,
    String fingerprint,
    Long windowTime,
    Integer status,
    Long keyExpires,
    ByteString body) {

  RequestEntry {
    Objects.requireNonNull(principal, "principal");
    if ((fingerprint == null) == (body == null)) {
      throw new IllegalArgumentException(
          "a request entry holds either a record pointer or an answer body, got fingerprint "
              + fingerprint
              + " and "
              + (body == null ? "no body" : "a body"));
    }
    if (fingerprint != null && windowTime == null) {
      throw new IllegalArgumentException("pointer to " + fingerprint + " has no windowTime");
    }
    if (body != null && status == null) {
      throw new IllegalArgumentException("answer entry has no status");
    }
  }

  static RequestEntry pointer(
      String principal, String idempotencyKey, String fingerprint, long windowTime) {
    return new RequestEntry(principal, idempotencyKey, fingerprint, windowTime, null, null, null);
  }

  static RequestEntry answer(
      String principal, String idempotencyKey, int status, ByteString body, Long keyExpires) {
    return new RequestEntry(principal, idempotencyKey, null, null, status, keyExpires, body);
  }

  boolean isPointer() {
    return fingerprint != null;
  }
}

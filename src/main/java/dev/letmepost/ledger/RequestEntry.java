package dev.letmepost.ledger;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.letmepost.command.Bytes;
import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of the request index: what the ledger did with one request id. Either a pointer to the
 * replay record the request is answered from ({@code fingerprint} and {@code windowTime}, where it
 * is filed: a new batch, a replay, a waiter) or the answer itself when no record holds it (an
 * error: {@code status} and {@code body}).
 *
 * @param keyExpires epoch ms the key's replay record expires, for an error answered about a live
 *     record (409); null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record RequestEntry(
    String principal,
    String idempotencyKey,
    String fingerprint,
    Long windowTime,
    Integer status,
    Long keyExpires,
    byte[] body) {

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
      String principal, String idempotencyKey, int status, byte[] body, Long keyExpires) {
    return new RequestEntry(principal, idempotencyKey, null, null, status, keyExpires, body);
  }

  @JsonIgnore
  boolean isPointer() {
    return fingerprint != null;
  }

  /** Compares the bytes by content (a record's own equals compares arrays by identity). */
  @Override
  public boolean equals(Object other) {
    return other instanceof RequestEntry o
        && Objects.equals(principal, o.principal)
        && Objects.equals(idempotencyKey, o.idempotencyKey)
        && Objects.equals(fingerprint, o.fingerprint)
        && Objects.equals(windowTime, o.windowTime)
        && Objects.equals(status, o.status)
        && Objects.equals(keyExpires, o.keyExpires)
        && Arrays.equals(body, o.body);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(principal, idempotencyKey, fingerprint, windowTime, status, keyExpires);
    h = 31 * h + Arrays.hashCode(body);
    return h;
  }

  /** The components, bytes as their length only. */
  @Override
  public String toString() {
    return "RequestEntry[principal="
        + principal
        + ", idempotencyKey="
        + idempotencyKey
        + ", fingerprint="
        + fingerprint
        + ", windowTime="
        + windowTime
        + ", status="
        + status
        + ", keyExpires="
        + keyExpires
        + ", body="
        + Bytes.describe(body)
        + "]";
  }
}

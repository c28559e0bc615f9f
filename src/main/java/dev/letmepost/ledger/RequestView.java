package dev.letmepost.ledger;

import dev.letmepost.command.Bytes;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A read-only view of one request id: its answer as the results topic carried it, or that it is
 * still waiting for its batch.
 *
 * @param status the answer's status, null while the request waits for its batch
 * @param replayed whether the answer is a replay of a recorded one
 * @param batchId the batch the request is about, null for an error without batch
 * @param keyExpires when the key's replay record expires, null when the answer has none
 * @param body the answer's exact bytes, null while the request waits
 */
public record RequestView(
    String requestId,
    String principal,
    String idempotencyKey,
    Integer status,
    boolean replayed,
    String batchId,
    Instant keyExpires,
    byte[] body) {

  public RequestView {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(principal, "principal");
    if ((status == null) != (body == null)) {
      throw new IllegalArgumentException(
          "request " + requestId + ": an answer needs both status and body");
    }
  }

  public boolean pending() {
    return status == null;
  }

  /** Compares the bytes by content (a record's own equals compares arrays by identity). */
  @Override
  public boolean equals(Object other) {
    return other instanceof RequestView o
        && Objects.equals(requestId, o.requestId)
        && Objects.equals(principal, o.principal)
        && Objects.equals(idempotencyKey, o.idempotencyKey)
        && Objects.equals(status, o.status)
        && replayed == o.replayed
        && Objects.equals(batchId, o.batchId)
        && Objects.equals(keyExpires, o.keyExpires)
        && Arrays.equals(body, o.body);
  }

  @Override
  public int hashCode() {
    int h =
        Objects.hash(requestId, principal, idempotencyKey, status, replayed, batchId, keyExpires);
    h = 31 * h + Arrays.hashCode(body);
    return h;
  }

  /** The components, bytes as their length only. */
  @Override
  public String toString() {
    return "RequestView[requestId="
        + requestId
        + ", principal="
        + principal
        + ", idempotencyKey="
        + idempotencyKey
        + ", status="
        + status
        + ", replayed="
        + replayed
        + ", batchId="
        + batchId
        + ", keyExpires="
        + keyExpires
        + ", body="
        + Bytes.describe(body)
        + "]";
  }
}

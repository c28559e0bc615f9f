package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import java.time.Instant;
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
    ByteString body) {

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
}

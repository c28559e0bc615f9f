package dev.letmepost.gateway;

import dev.letmepost.wire.ByteString;
import java.util.Objects;

/**
 * One answer of the ledger as the results topic carries it: status and flags from the headers, the
 * exact body bytes from the value.
 *
 * @param idempotencyKey null when the request had none
 * @param batchId null for an answer without batch (an error)
 * @param keyExpires RFC 3339, null when the answer has none
 */
public record LedgerAnswer(
    String requestId,
    int status,
    boolean replayed,
    String idempotencyKey,
    String batchId,
    String keyExpires,
    ByteString body) {
  public LedgerAnswer {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(body, "body");
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException(
          "answer to " + requestId + " has status " + status + ", not an HTTP status");
    }
  }

  /**
   * The same answer for a coalesced retry: a batch answer reads as a replay, an error as is; the
   * request id stays the one the ledger knows, so that it can be looked up.
   */
  LedgerAnswer forFollower() {
    return new LedgerAnswer(
        requestId, status, replayed || batchId != null, idempotencyKey, batchId, keyExpires, body);
  }
}

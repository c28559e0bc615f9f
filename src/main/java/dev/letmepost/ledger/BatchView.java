package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import java.time.Instant;
import java.util.Objects;

/**
 * A read-only view of one replay record, for the gateway's reads: the key it belongs to, the
 * recorded answer when there is one, and the batch as it stands now.
 *
 * @param requestId the request that started the batch
 * @param idempotencyKey null for a request without key
 * @param state {@code running}, {@code scheduled} or the final batch status
 * @param responseStatus the recorded answer's status, null until answered
 * @param response the recorded answer's exact bytes, null until answered
 * @param envelope the batch envelope as it stands now (open targets {@code pending}, or {@code
 *     scheduled} before release)
 */
public record BatchView(
    String batchId,
    String requestId,
    String principal,
    String idempotencyKey,
    String fingerprint,
    String bodySha256,
    Instant createdAt,
    Instant expiresAt,
    String state,
    Integer responseStatus,
    ByteString response,
    ByteString envelope) {

  public BatchView {
    Objects.requireNonNull(batchId, "batchId");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(bodySha256, "bodySha256");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(envelope, "envelope");
    if ((responseStatus == null) != (response == null)) {
      throw new IllegalArgumentException(
          "batch " + batchId + ": a recorded answer needs both status and body");
    }
  }

  /** True once the request has its recorded answer, which every retry replays. */
  public boolean answered() {
    return response != null;
  }
}

package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.ledger.BatchView;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/** The replay fast path: a retry answered from this instance's store, without Kafka. */
final class FastPath {
  private final GatewayConfig config;
  private final Clock clock;

  FastPath(GatewayConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /**
   * The recorded answer, read from this instance's store, for a retry whose batch is answered: the
   * same bytes the ledger would send, without a Kafka round trip. Empty when the record is not
   * here, not answered, has another body, or expires within the margin (the ledger decides then).
   */
  Optional<Answer> find(
      Gateway.Backend b, String fingerprint, String bodyHash, String requestId, String key) {
    try {
      if (b.ledger().ownerOf(fingerprint).isPresent()) {
        return Optional.empty();
      }
      Instant now = clock.instant();
      return b.ledger()
          .liveRecord(fingerprint, now)
          .filter(BatchView::answered)
          .filter(v -> v.bodySha256().equals(bodyHash))
          .filter(v -> v.createdAt().isBefore(now))
          .filter(v -> v.expiresAt().isAfter(now.plus(config.fastPathMargin())))
          .map(v -> replay(v, requestId, key));
    } catch (InvalidStateStoreException e) {
      return Optional.empty();
    }
  }

  /**
   * The answer {@link #find} gave to {@code e}, read again from this instance's store; empty when
   * the replay record it came from is no longer here (expired, or its partition moved to another
   * instance) or is another batch's now.
   */
  static Optional<Answer> reread(Gateway.Backend b, RecentRequests.Entry e, Instant now) {
    return b.ledger()
        .liveRecord(e.fingerprint(), now)
        .filter(BatchView::answered)
        .filter(v -> v.batchId().equals(e.batchId()))
        .map(v -> replay(v, e.requestId(), e.idempotencyKey()));
  }

  private static Answer replay(BatchView v, String requestId, String key) {
    return new Answer(
        requestId,
        v.responseStatus(),
        true,
        key,
        v.batchId(),
        Rfc3339.format(v.expiresAt()),
        v.response().toByteArray());
  }
}

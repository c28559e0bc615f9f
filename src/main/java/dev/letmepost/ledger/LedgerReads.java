package dev.letmepost.ledger;

import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * The read side of the ledger: replay records, batches and requests looked up in the ledger's
 * stores on this instance (every local partition), by the look-ups the ledger decides with ({@link
 * LedgerStores}). It answers only for what this instance hosts; routing a read to the instance that
 * hosts it is the caller's business.
 *
 * <p>A store that is not queryable right now (the instance is rebalancing or restoring) throws
 * {@link org.apache.kafka.streams.errors.InvalidStateStoreException}.
 */
public final class LedgerReads {
  private final LedgerStores stores;
  private final LedgerConfig config;

  LedgerReads(LedgerStores stores, LedgerConfig config) {
    this.stores = stores;
    this.config = config;
  }

  /** Reads the stores of a running ledger instance, each fetched anew for every read. */
  public static LedgerReads of(KafkaStreams streams, LedgerConfig config) {
    return new LedgerReads(
        new LedgerStores(
            LedgerStores.Window.queried(() -> window(streams, LedgerTopology.REPLAY_STORE)),
            LedgerStores.Window.queried(() -> window(streams, LedgerTopology.BATCH_INDEX)),
            LedgerStores.Window.queried(() -> window(streams, LedgerTopology.REQUEST_INDEX)),
            config),
        config);
  }

  private static <V> ReadOnlyWindowStore<String, V> window(KafkaStreams streams, String name) {
    return streams.store(
        StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>windowStore()));
  }

  /**
   * The replay record a request with this fingerprint would meet if the broker accepted it at
   * {@code now}, by the rule {@link DecideRequest} decides with ({@link LiveRecord}).
   */
  public Optional<BatchView> liveRecord(String fingerprint, Instant now) {
    return Optional.ofNullable(stores.live(fingerprint, now.toEpochMilli()))
        .map(r -> view(fingerprint, r));
  }

  /** The batch with this id, while its replay record is kept. */
  public Optional<BatchView> batch(String batchId) {
    return Optional.ofNullable(stores.batch(batchId)).map(f -> view(f.key(), f.record()));
  }

  /** What became of the request with this id, while its index entry is kept. */
  public Optional<RequestView> request(String requestId) {
    RequestEntry e = stores.request(requestId);
    if (e == null) {
      return Optional.empty();
    }
    if (!e.isPointer()) {
      return Optional.of(
          new RequestView(
              requestId,
              e.principal(),
              e.idempotencyKey(),
              e.status(),
              false,
              null,
              e.keyExpires() == null ? null : Instant.ofEpochMilli(e.keyExpires()),
              e.body()));
    }
    LedgerRecord record = stores.record(e.fingerprint(), e.windowTime());
    if (record == null) {
      return Optional.empty();
    }
    boolean replayed = !record.requestId().equals(requestId);
    return Optional.of(
        new RequestView(
            requestId,
            e.principal(),
            e.idempotencyKey(),
            record.responseStatus(),
            record.answered() && replayed,
            record.batchId(),
            Instant.ofEpochMilli(config.expiry(record)),
            record.response()));
  }

  private BatchView view(String fingerprint, LedgerRecord r) {
    String state = Answers.state(r);
    return new BatchView(
        r.batchId(),
        r.requestId(),
        r.principal(),
        r.idempotencyKey(),
        fingerprint,
        r.bodySha256(),
        Instant.ofEpochMilli(r.firstSeen()),
        Instant.ofEpochMilli(config.expiry(r)),
        state,
        r.responseStatus(),
        r.response(),
        Answers.current(r));
  }
}

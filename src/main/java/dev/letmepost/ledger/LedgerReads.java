package dev.letmepost.ledger;

import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The read side of the ledger: replay records, batches and requests looked up in the ledger's
 * stores on this instance (every local partition). It answers only for what this instance hosts;
 * routing a read to the instance that hosts it is the caller's business.
 *
 * <p>A store that is not queryable right now (the instance is rebalancing or restoring) throws
 * {@link org.apache.kafka.streams.errors.InvalidStateStoreException}.
 */
public final class LedgerReads {
  /** The three stores a read needs; fetched per read so that a rebalance is noticed. */
  interface Stores {
    ReadOnlyWindowStore<String, LedgerRecord> replay();

    ReadOnlyWindowStore<String, RequestEntry> requests();

    ReadOnlyWindowStore<String, String> batches();
  }

  private final Stores stores;
  private final LedgerConfig config;

  LedgerReads(Stores stores, LedgerConfig config) {
    this.stores = stores;
    this.config = config;
  }

  /** Reads the stores of a running ledger instance. */
  public static LedgerReads of(KafkaStreams streams, LedgerConfig config) {
    return new LedgerReads(
        new Stores() {
          @Override
          public ReadOnlyWindowStore<String, LedgerRecord> replay() {
            return window(streams, LedgerTopology.REPLAY_STORE);
          }

          @Override
          public ReadOnlyWindowStore<String, RequestEntry> requests() {
            return window(streams, LedgerTopology.REQUEST_INDEX);
          }

          @Override
          public ReadOnlyWindowStore<String, String> batches() {
            return window(streams, LedgerTopology.BATCH_INDEX);
          }
        },
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
    long t = now.toEpochMilli();
    long ttl = config.replayTtl().toMillis();
    LedgerRecord live;
    try (WindowStoreIterator<LedgerRecord> it =
        stores
            .replay()
            .fetch(
                fingerprint,
                Instant.ofEpochMilli(LiveRecord.scanFrom(t, ttl)),
                Instant.ofEpochMilli(Long.MAX_VALUE))) {
      live = LiveRecord.choose(it, t, ttl);
    }
    return Optional.ofNullable(live).map(r -> view(fingerprint, r));
  }

  /** The batch with this id, while its replay record is kept. */
  public Optional<BatchView> batch(String batchId) {
    Latest<String> fingerprint = latest(stores.batches(), batchId);
    if (fingerprint == null) {
      return Optional.empty();
    }
    LedgerRecord record = stores.replay().fetch(fingerprint.value, fingerprint.windowStart);
    if (record == null || !record.batchId().equals(batchId)) {
      return Optional.empty();
    }
    return Optional.of(view(fingerprint.value, record));
  }

  /** What became of the request with this id, while its index entry is kept. */
  public Optional<RequestView> request(String requestId) {
    Latest<RequestEntry> found = latest(stores.requests(), requestId);
    if (found == null) {
      return Optional.empty();
    }
    RequestEntry e = found.value;
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
    LedgerRecord record = stores.replay().fetch(e.fingerprint(), e.windowTime());
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

  private record Latest<V>(long windowStart, V value) {}

  /** The entry of {@code key} with the latest window start, or null. */
  private static <V> Latest<V> latest(ReadOnlyWindowStore<String, V> store, String key) {
    Latest<V> latest = null;
    try (WindowStoreIterator<V> it =
        store.fetch(key, Instant.EPOCH, Instant.ofEpochMilli(Long.MAX_VALUE))) {
      while (it.hasNext()) {
        var kv = it.next();
        latest = new Latest<>(kv.key, kv.value);
      }
    }
    return latest;
  }
}

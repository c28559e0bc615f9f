package dev.letmepost.ledger;

import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * The read side of the ledger: replay records, batches and requests looked up in the ledger's
 * stores on this instance, by the look-ups the ledger decides with ({@link LedgerStores}). It
 * answers only for what this instance hosts; routing a read to the instance that hosts it is the
 * caller's business.
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

  /**
   * Reads the stores of a running ledger instance, each fetched anew for every read. A replay
   * record and a batch id are looked up in their key's partition only: every key of those stores is
   * in its own partition by murmur2 (fingerprints by the repartition, action keys and batch ids by
   * construction, {@link ActionKeys}). A request id is the client's, filed in its fingerprint's
   * partition: it is looked up in every local partition.
   */
  public static LedgerReads of(KafkaStreams streams, LedgerConfig config) {
    int partitions = config.partitions();
    return new LedgerReads(
        new LedgerStores(
            LedgerStores.Window.queried(
                key ->
                    window(
                        streams,
                        LedgerTopology.REPLAY_STORE,
                        ActionKeys.partition(key, partitions))),
            LedgerStores.Window.queried(
                key ->
                    window(
                        streams,
                        LedgerTopology.BATCH_INDEX,
                        ActionKeys.partition(key, partitions))),
            LedgerStores.Window.queried(key -> window(streams, LedgerTopology.REQUEST_INDEX, null)),
            config),
        config);
  }

  /** The store {@code name} of {@code partition} on this instance, or of every local one (null). */
  private static <V> ReadOnlyWindowStore<String, V> window(
      KafkaStreams streams, String name, Integer partition) {
    StoreQueryParameters<ReadOnlyWindowStore<String, V>> p =
        StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>windowStore());
    return streams.store(partition == null ? p : p.withPartition(partition));
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

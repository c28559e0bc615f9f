package dev.letmepost.ledger;

import java.time.Instant;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStorePartitionException;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The ledger's look-ups in its window stores, each in one place, for the write side ({@link
 * Decisions}) and the read side ({@link LedgerReads}) alike: the replay record a request meets
 * ({@link #live}), a batch by its id ({@link #batch}), what became of a request id ({@link
 * #request}), and the first window time free for a key ({@link #freeWindowTime}).
 */
final class LedgerStores {
  /** One window store as the look-ups read it, times in epoch ms. */
  interface Window<V> {
    /** The value filed under {@code key} at {@code time}, or null. */
    V fetch(String key, long time);

    /** The values filed under {@code key} from {@code from} to {@code to}, by window time. */
    WindowStoreIterator<V> fetch(String key, long from, long to);

    /** A processor's store, read by its millisecond methods. */
    static <V> Window<V> of(WindowStore<String, V> store) {
      return new Window<>() {
        @Override
        public V fetch(String key, long time) {
          return store.fetch(key, time);
        }

        @Override
        public WindowStoreIterator<V> fetch(String key, long from, long to) {
          return store.fetch(key, from, to);
        }
      };
    }

    /**
     * A store of a running instance, fetched anew for each look-up so that a rebalance is noticed,
     * and read by the {@link Instant} methods a queryable store has. (The write side does not take
     * this way: a window store's {@code Instant} fetch formats two messages on every call.)
     *
     * @param storeOf the store that can hold {@code key}: its partition's alone, when the key's
     *     partition is known, else every local partition's; a partition this instance does not host
     *     holds nothing
     */
    static <V> Window<V> queried(Function<String, ReadOnlyWindowStore<String, V>> storeOf) {
      return new Window<>() {
        @Override
        public V fetch(String key, long time) {
          try {
            return storeOf.apply(key).fetch(key, time);
          } catch (InvalidStateStorePartitionException notHere) {
            return null;
          }
        }

        @Override
        public WindowStoreIterator<V> fetch(String key, long from, long to) {
          try {
            return storeOf
                .apply(key)
                .fetch(key, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to));
          } catch (InvalidStateStorePartitionException notHere) {
            return empty();
          }
        }
      };
    }
  }

  /** Nothing filed: what a partition this instance does not host holds. */
  private static <V> WindowStoreIterator<V> empty() {
    return new WindowStoreIterator<>() {
      @Override
      public void close() {}

      @Override
      public Long peekNextKey() {
        throw new NoSuchElementException();
      }

      @Override
      public boolean hasNext() {
        return false;
      }

      @Override
      public KeyValue<Long, V> next() {
        throw new NoSuchElementException();
      }
    };
  }

  /** A replay record and the key it is filed under. */
  record Filed(String key, LedgerRecord record) {}

  private final Window<LedgerRecord> replay;
  private final Window<String> batchIndex;
  private final Window<RequestEntry> requests;
  private final long ttl;

  /**
   * @param replay replay records ({@link LedgerTopology#REPLAY_STORE})
   * @param batchIndex batch id to its key ({@link LedgerTopology#BATCH_INDEX})
   * @param requests request id to what became of it ({@link LedgerTopology#REQUEST_INDEX})
   */
  LedgerStores(
      Window<LedgerRecord> replay,
      Window<String> batchIndex,
      Window<RequestEntry> requests,
      LedgerConfig config) {
    this.replay = replay;
    this.batchIndex = batchIndex;
    this.requests = requests;
    this.ttl = config.replayTtl().toMillis();
  }

  /** The replay record filed under {@code key} at {@code windowTime}, or null. */
  LedgerRecord record(String key, long windowTime) {
    return replay.fetch(key, windowTime);
  }

  /**
   * The replay record a command with this broker time meets under {@code key}, or null when it is
   * new: {@link LiveRecord}'s rule.
   */
  LedgerRecord live(String key, long brokerTime) {
    try (WindowStoreIterator<LedgerRecord> it =
        replay.fetch(key, LiveRecord.scanFrom(brokerTime, ttl), Long.MAX_VALUE)) {
      return LiveRecord.choose(it, brokerTime, ttl);
    }
  }

  /**
   * The batch with this id, while its replay record is kept: the latest batch-index entry, then the
   * record it points at; null when there is none or it is another batch's.
   */
  Filed batch(String batchId) {
    String key = null;
    long windowTime = 0;
    try (WindowStoreIterator<String> it = batchIndex.fetch(batchId, 0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        var kv = it.next();
        windowTime = kv.key;
        key = kv.value;
      }
    }
    if (key == null) {
      return null;
    }
    LedgerRecord r = replay.fetch(key, windowTime);
    return r == null || !r.batchId().equals(batchId) ? null : new Filed(key, r);
  }

  /** The latest request-index entry of this request id, or null. */
  RequestEntry request(String requestId) {
    RequestEntry latest = null;
    try (WindowStoreIterator<RequestEntry> it = requests.fetch(requestId, 0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        latest = it.next().value;
      }
    }
    return latest;
  }

  /**
   * {@code filedAt}, or the next millisecond no record of {@code key} is filed under: two TTL
   * periods of a key read in one poll share a wall-clock millisecond, and a window store keeps one
   * value per key and time.
   */
  long freeWindowTime(String key, long filedAt) {
    long t = filedAt;
    while (replay.fetch(key, t) != null) {
      t++;
    }
    return t;
  }
}

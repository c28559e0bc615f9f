package dev.letmepost.ledger;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * The ledger's RocksDB configuration ({@code rocksdb.config.setter}): compressed SST files, and one
 * block cache and one memtable budget shared by every store of a ledger instance, so that its
 * RocksDB memory stays about {@link #MEMORY_CONFIG} however many tasks and segments it hosts.
 */
public final class LedgerRocksDb implements RocksDBConfigSetter {
  /*
   * Kafka Streams opens one RocksDB instance per store and task (a window store: one per segment,
   * three here), each with a block cache of 50 MB and up to three memtables of 16 MB, and writes
   * its files uncompressed: with 6 partitions, three window stores and the timer store that is 60
   * instances per copy of the tasks, several GB off heap at worst, growing with the tasks (active
   * and standby) an instance hosts.
   *
   * Here every instance opened under one state directory (one ledger instance, all its stream
   * threads) shares one LRU cache of the whole budget, in which index and filter blocks sit at
   * high priority, and one WriteBufferManager that charges the memtables to that cache and flushes
   * them once they hold half of it: data blocks, index and filter blocks and memtables together
   * stay within the budget (the pattern of Kafka Streams' "RocksDB memory management" docs). The
   * cache is not strict: a read never fails for want of room, and pinned blocks of open iterators
   * may exceed it briefly. The two are counted: each store that opens takes them, the last one
   * that closes releases them (a store that opens later gets a new pair).
   *
   * Files: LZ4 (cheap to write and read) for every level, ZSTD for the bottommost one, where
   * compaction leaves the bulk of the data; blocks of 16 KiB, so that a block holds several replay
   * records and compresses better (a look-up still reads one block).
   */

  /** The Streams property that sets the budget of a ledger instance's RocksDB memory, in bytes. */
  public static final String MEMORY_CONFIG = "letmepost.rocksdb.memory.bytes";

  /** The default budget: 64 MiB per ledger instance. */
  public static final long DEFAULT_MEMORY = 64L << 20;

  /** The smallest budget accepted: 8 MiB. */
  public static final long MIN_MEMORY = 8L << 20;

  static final CompressionType COMPRESSION = CompressionType.LZ4_COMPRESSION;
  static final CompressionType BOTTOMMOST_COMPRESSION = CompressionType.ZSTD_COMPRESSION;
  static final long BLOCK_SIZE = 16L << 10;

  /** The share of the cache kept for index and filter blocks. */
  private static final double INDEX_FILTER_RATIO = 0.1;

  /** Memtables of one store: the one written and one being flushed. */
  private static final int MEMTABLES_PER_STORE = 2;

  /** Each ledger instance's shared cache and write buffers, by state directory. */
  private static final Map<String, Shared> SHARED = new HashMap<>(); // guarded by SHARED

  private Shared shared;

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    shared = acquire(String.valueOf(configs.get(StreamsConfig.STATE_DIR_CONFIG)), budget(configs));
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(shared.cache);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setBlockSize(BLOCK_SIZE);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(shared.writeBuffers);
    options.setWriteBufferSize(shared.memtableSize);
    options.setMaxWriteBufferNumber(MEMTABLES_PER_STORE);
    options.setCompressionType(COMPRESSION);
    options.setBottommostCompressionType(BOTTOMMOST_COMPRESSION);
  }

  @Override
  public void close(String storeName, Options options) {
    if (shared != null) {
      release(shared);
      shared = null;
    }
  }

  /** The budget {@code configs} set, {@link #DEFAULT_MEMORY} when none. */
  static long budget(Map<String, ?> configs) {
    Object value = configs.get(MEMORY_CONFIG);
    if (value == null) {
      return DEFAULT_MEMORY;
    }
    long bytes;
    try {
      bytes = value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          MEMORY_CONFIG + " must be a number of bytes, got '" + value + "'", e);
    }
    if (bytes < MIN_MEMORY) {
      throw new IllegalArgumentException(
          MEMORY_CONFIG + " must be at least " + MIN_MEMORY + " bytes (8 MiB), got " + bytes);
    }
    return bytes;
  }

  private static Shared acquire(String stateDir, long budget) {
    synchronized (SHARED) {
      Shared s = SHARED.computeIfAbsent(stateDir, dir -> new Shared(dir, budget));
      s.users++;
      return s;
    }
  }

  private static void release(Shared s) {
    synchronized (SHARED) {
      if (--s.users == 0) {
        SHARED.remove(s.stateDir, s);
        // RocksDB instances still open keep their own references to both: closing these handles
        // only ends this class's share.
        s.writeBuffers.close();
        s.cache.close();
      }
    }
  }

  /** One ledger instance's cache and write-buffer manager, and how many stores use them. */
  private static final class Shared {
    final String stateDir;
    final LRUCache cache;
    final WriteBufferManager writeBuffers;
    final long memtableSize;
    int users;

    Shared(String stateDir, long budget) {
      this.stateDir = stateDir;
      long memtables = budget / 2;
      this.cache = new LRUCache(budget, -1, false, INDEX_FILTER_RATIO);
      this.writeBuffers = new WriteBufferManager(memtables, cache);
      // Eight memtables fill the budget before the manager flushes one; a memtable takes its
      // memory in blocks of an eighth of its size, so an idle store holds little.
      this.memtableSize = memtables / 8;
    }
  }
}

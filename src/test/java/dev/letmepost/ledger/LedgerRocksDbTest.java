package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.internals.BlockBasedTableConfigWithAccessibleCache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;

/**
 * {@link LedgerRocksDb} on RocksDB options as Kafka Streams hands them to it (a table configuration
 * that exposes its block cache): one cache and one write-buffer manager per ledger instance,
 * released by the last store that closes, and compressed files.
 */
class LedgerRocksDbTest {
  @TempDir Path dir;

  private static Options streamsOptions() {
    Options o = new Options();
    o.setTableFormatConfig(new BlockBasedTableConfigWithAccessibleCache());
    return o;
  }

  private static Cache cacheOf(Options o) {
    return ((BlockBasedTableConfigWithAccessibleCache) o.tableFormatConfig()).blockCache();
  }

  private Map<String, Object> configs(Path stateDir, Object budget) {
    return Map.of(
        StreamsConfig.STATE_DIR_CONFIG, stateDir.toString(), LedgerRocksDb.MEMORY_CONFIG, budget);
  }

  @Test
  void everyStoreOfAnInstanceSharesOneCacheAndWriteBufferManagerUntilTheLastOneCloses() {
    Map<String, Object> instance = configs(dir.resolve("a"), 16L << 20);
    LedgerRocksDb replay = new LedgerRocksDb();
    LedgerRocksDb requests = new LedgerRocksDb();
    LedgerRocksDb otherInstance = new LedgerRocksDb();
    LedgerRocksDb later = new LedgerRocksDb();
    try (Options a = streamsOptions();
        Options b = streamsOptions();
        Options other = streamsOptions();
        Options c = streamsOptions()) {
      replay.setConfig("replay-records.1700000000000", a, instance);
      requests.setConfig("request-index.1700000000000", b, instance);
      otherInstance.setConfig(
          "replay-records.1700000000000", other, configs(dir.resolve("b"), "16777216"));

      assertThat(cacheOf(a)).isNotNull().isSameAs(cacheOf(b)).isNotSameAs(cacheOf(other));
      assertThat(a.writeBufferManager())
          .isNotNull()
          .isSameAs(b.writeBufferManager())
          .isNotSameAs(other.writeBufferManager());
      // 16 MiB: memtables charged to the cache up to 8 MiB, eight of 1 MiB before a flush
      assertThat(a.writeBufferSize()).isEqualTo(1L << 20);
      assertThat(a.maxWriteBufferNumber()).isEqualTo(2);

      replay.close("replay-records.1700000000000", a);
      assertThat(cacheOf(b).isOwningHandle()).as("still used by request-index").isTrue();
      assertThat(b.writeBufferManager().isOwningHandle()).isTrue();

      requests.close("request-index.1700000000000", b);
      assertThat(cacheOf(a).isOwningHandle()).as("released by the last store").isFalse();
      assertThat(a.writeBufferManager().isOwningHandle()).isFalse();
      assertThat(cacheOf(other).isOwningHandle()).as("another instance's").isTrue();

      later.setConfig("batch-index.1700000000000", c, instance);
      assertThat(cacheOf(c)).isNotSameAs(cacheOf(a));
      assertThat(cacheOf(c).isOwningHandle()).isTrue();
    } finally {
      later.close("batch-index.1700000000000", null);
      otherInstance.close("replay-records.1700000000000", null);
    }
  }

  @Test
  void filesAreCompressedLz4AndTheBottommostLevelZstdInBlocksOf16KiB() {
    LedgerRocksDb setter = new LedgerRocksDb();
    try (Options o = streamsOptions()) {
      setter.setConfig("replay-records.0", o, configs(dir, LedgerRocksDb.DEFAULT_MEMORY));
      assertThat(o.compressionType()).isEqualTo(CompressionType.LZ4_COMPRESSION);
      assertThat(o.bottommostCompressionType()).isEqualTo(CompressionType.ZSTD_COMPRESSION);
      BlockBasedTableConfig table = (BlockBasedTableConfig) o.tableFormatConfig();
      assertThat(table.blockSize()).isEqualTo(16 * 1024);
      assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
      assertThat(table.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
    } finally {
      setter.close("replay-records.0", null);
    }
  }

  @Test
  void theBudgetIsReadAsBytesWithA64MiBDefaultAndAn8MiBFloor() {
    assertThat(LedgerRocksDb.budget(Map.of())).isEqualTo(64L << 20);
    assertThat(LedgerRocksDb.budget(Map.of(LedgerRocksDb.MEMORY_CONFIG, "134217728")))
        .isEqualTo(128L << 20);
    assertThat(LedgerRocksDb.budget(Map.of(LedgerRocksDb.MEMORY_CONFIG, 8L << 20)))
        .isEqualTo(8L << 20);
    assertThatThrownBy(
            () -> LedgerRocksDb.budget(Map.of(LedgerRocksDb.MEMORY_CONFIG, (8L << 20) - 1)))
        .hasMessageContaining("at least 8388608 bytes (8 MiB), got 8388607");
    assertThatThrownBy(() -> LedgerRocksDb.budget(Map.of(LedgerRocksDb.MEMORY_CONFIG, "64MiB")))
        .hasMessageContaining("must be a number of bytes, got '64MiB'");
  }
}

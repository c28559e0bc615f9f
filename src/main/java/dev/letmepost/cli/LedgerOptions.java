package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.ledger.LedgerRocksDb;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The ledger options {@code serve}, {@code gateway} and {@code ledger} share: topics, TTL,
 * deadlines, threads, RocksDB memory, Streams.
 */
final class LedgerOptions {
  @Mixin TopicPrefixOption topicPrefix;

  @Mixin PartitionsOption partitions;

  @Option(
      names = "--replay-ttl",
      defaultValue = "PT24H",
      description = "how long a key replays its first answer, ISO-8601 (default: ${DEFAULT-VALUE})")
  Duration replayTtl;

  @Option(
      names = "--skew-allowance",
      defaultValue = "PT1H",
      description =
          "timestamp skew tolerated before clamping; added to the store's retention (default: ${DEFAULT-VALUE})")
  Duration skew;

  @Option(
      names = "--target-deadline",
      defaultValue = "PT5M",
      description =
          "time a target may go without outcome before it ends unknown (default: ${DEFAULT-VALUE})")
  Duration targetDeadline;

  @Option(
      names = "--max-command-lag",
      defaultValue = "PT6H",
      description =
          "how long after the broker accepted a command the ledger still decides it; a later one is"
              + " answered 503 ledger_behind, nothing recorded or published; added to the stores'"
              + " retention; must be shorter than --replay-ttl (default: ${DEFAULT-VALUE})")
  Duration maxCommandLag;

  @Option(
      names = "--outcome-grace",
      description =
          "how long after a target's deadline its outcome is still taken before it ends unknown;"
              + " at least the longest platform call (Bluesky: 4 requests of 25 s), refused if"
              + " shorter (default: that + 20 s, ${DEFAULT-VALUE})")
  Duration outcomeGrace = LedgerConfig.DEFAULT_OUTCOME_GRACE;

  @Option(
      names = "--max-waiters",
      defaultValue = "16",
      description = "retries that may wait on one running batch (default: ${DEFAULT-VALUE})")
  int maxWaiters;

  @Option(
      names = "--stream-threads",
      defaultValue = "1",
      description =
          "stream threads of this ledger instance (num.stream.threads): the tasks of all"
              + " instances, one per partition, are shared among their threads"
              + " (default: ${DEFAULT-VALUE})")
  int streamThreads;

  @Option(
      names = "--rocksdb-memory-mib",
      defaultValue = "" + (LedgerRocksDb.DEFAULT_MEMORY >> 20),
      description =
          "RocksDB memory of this ledger instance in MiB, shared by all its stores, partitions and"
              + " threads: block cache, index and filter blocks, and memtables (at most half);"
              + " at least 8 (default: ${DEFAULT-VALUE})")
  long rocksDbMemoryMib;

  @Option(
      names = "--streams-config",
      paramLabel = "KEY=VALUE",
      description =
          "any Kafka Streams setting for the ledger, e.g. num.stream.threads=2 (repeatable)")
  Map<String, String> streamsConfig = Map.of();

  LedgerConfig config() {
    return new LedgerConfig(
        topicPrefix.topics(),
        replayTtl,
        skew,
        targetDeadline,
        maxWaiters,
        LedgerConfig.DEFAULT_TIMER_INTERVAL,
        partitions.count,
        maxCommandLag,
        outcomeGrace,
        LedgerConfig.DEFAULT_COMMIT_GAP);
  }

  /**
   * {@code base} (the gateway's settings, when it runs), then {@code --stream-threads} and {@code
   * --rocksdb-memory-mib}, then {@code --streams-config}'s.
   */
  Map<String, String> streamsOverrides(Map<String, String> base) {
    if (streamThreads < 1) {
      throw new IllegalArgumentException(
          "--stream-threads must be at least 1, got " + streamThreads);
    }
    if (rocksDbMemoryMib < LedgerRocksDb.MIN_MEMORY >> 20) {
      throw new IllegalArgumentException(
          "--rocksdb-memory-mib must be at least "
              + (LedgerRocksDb.MIN_MEMORY >> 20)
              + ", got "
              + rocksDbMemoryMib);
    }
    Map<String, String> all = new HashMap<>(base);
    all.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(streamThreads));
    all.put(
        LedgerRocksDb.MEMORY_CONFIG, Long.toString(Math.multiplyExact(rocksDbMemoryMib, 1L << 20)));
    all.putAll(streamsConfig);
    return all;
  }
}

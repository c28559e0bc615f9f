package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.internals.CachingWindowStore;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.junit.jupiter.api.Test;

/**
 * The performance settings `lmp bench` measured (docs/benchmarks.md, "Settings the figures depend
 * on"), so that none is lost by accident.
 */
class LedgerSettingsTest {
  private static Properties properties(Map<String, ?> overrides) {
    return LedgerApp.streamsProperties(
        LedgerConfig.defaults(Topics.defaults()),
        ClientSettings.of("localhost:9092"),
        Path.of("state"),
        overrides);
  }

  @Test
  void tasksNeverIdleForAnEmptyInputPartitionAndCommitEvery50Ms() {
    Properties p = properties(Map.of());
    assertThat(p.get(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG))
        .isEqualTo(StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
    assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(50);
  }

  @Test
  void freshTasksAndAnswersAskForACommitAtMostEvery20MsPerThread() {
    assertThat(LedgerConfig.defaults(Topics.defaults()).commitGap())
        .isEqualTo(Duration.ofMillis(20));
    assertThat(CommitPacer.FRESH).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aStreamsConfigOverrideStillWinsOverTheMeasuredDefaults() {
    Properties p = properties(Map.of(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100));
    assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(100);
  }

  @Test
  void recordsAndChangelogsAreCompressedAndRocksDbKeepsOneBudgetPerInstance() {
    Properties p = properties(Map.of());
    assertThat(new StreamsConfig(p).getProducerConfigs("ledger-producer"))
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, LedgerApp.COMPRESSION);
    assertThat(LedgerApp.COMPRESSION).isEqualTo("lz4");
    assertThat(p.get(StreamsConfig.topicPrefix(TopicConfig.COMPRESSION_TYPE_CONFIG)))
        .isEqualTo("zstd");
    assertThat(p.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG))
        .isEqualTo(LedgerRocksDb.class.getName());
    assertThat(p.get(LedgerRocksDb.MEMORY_CONFIG)).isEqualTo(64L << 20);
  }

  @Test
  void anUnprefixedCompressionOverrideStillReachesTheProducer() {
    Properties p = properties(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd"));
    assertThat(new StreamsConfig(p).getProducerConfigs("ledger-producer"))
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
  }

  @Test
  void theReplayStoreHasNoRecordCache() {
    try (LedgerHarness ledger = new LedgerHarness()) {
      StateStore store = ledger.driver.getWindowStore(LedgerTopology.REPLAY_STORE);
      boolean cached = false;
      while (store instanceof WrappedStateStore<?, ?, ?> wrapped) {
        cached |= wrapped instanceof CachingWindowStore;
        store = wrapped.wrapped();
      }
      assertThat(cached).as("a CachingWindowStore in the replay store's layers").isFalse();
    }
  }
}

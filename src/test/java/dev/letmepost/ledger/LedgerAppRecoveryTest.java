package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * The recovery settings of the ledger (CrashMatrixIT measured them) reach the clients Kafka Streams
 * creates, over Streams' own defaults, and every spelling of a {@code --streams-config} override
 * still wins over them.
 */
class LedgerAppRecoveryTest {
  private static final LedgerConfig CONFIG = LedgerConfig.defaults(new Topics("lmp."));

  private static StreamsConfig streams(Map<String, ?> overrides) {
    return new StreamsConfig(
        LedgerApp.streamsProperties(
            CONFIG, ClientSettings.of("127.0.0.1:9092"), Path.of("state"), overrides));
  }

  @Test
  void theMainConsumerHasASixSecondSessionAndTheProducerAFiveSecondTransactionTimeout() {
    StreamsConfig c = streams(Map.of());
    Map<String, Object> consumer = c.getMainConsumerConfigs("lmp.ledger", "client", 0);
    assertThat(consumer).containsEntry("session.timeout.ms", 6000);
    assertThat(consumer).containsEntry("heartbeat.interval.ms", 1500);
    // Streams' exactly_once_v2 default is 10 s; ours must win over it.
    assertThat(c.getProducerConfigs("client")).containsEntry("transaction.timeout.ms", 5000);
    assertThat(c.getInt(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)).isEqualTo(1);
    assertThat(c.getLong(StreamsConfig.PROBING_REBALANCE_INTERVAL_MS_CONFIG)).isEqualTo(60_000L);
    assertThat(c.getString(StreamsConfig.GROUP_PROTOCOL_CONFIG)).isEqualTo("classic");
  }

  @Test
  void everySpellingOfAnOverrideWins() {
    assertThat(
            streams(Map.of("session.timeout.ms", "10000"))
                .getMainConsumerConfigs("g", "c", 0)
                .get("session.timeout.ms"))
        .isIn(10000, "10000");
    assertThat(
            streams(Map.of(StreamsConfig.consumerPrefix("session.timeout.ms"), "11000"))
                .getMainConsumerConfigs("g", "c", 0)
                .get("session.timeout.ms"))
        .isIn(11000, "11000");
    assertThat(
            streams(Map.of(StreamsConfig.mainConsumerPrefix("session.timeout.ms"), "12000"))
                .getMainConsumerConfigs("g", "c", 0)
                .get("session.timeout.ms"))
        .isIn(12000, "12000");
    assertThat(
            streams(Map.of(StreamsConfig.producerPrefix("transaction.timeout.ms"), "9000"))
                .getProducerConfigs("c")
                .get("transaction.timeout.ms"))
        .isIn(9000, "9000");
    assertThat(
            streams(Map.of(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, "0"))
                .getInt(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG))
        .isEqualTo(0);
  }
}

package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ClientSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayClientsTest {
  private static final Map<String, String> SASL =
      Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-256");
  private static final ClientSettings CLIENT = ClientSettings.of("k1:9093", SASL);

  @Test
  void theCommandProducerAndTheKeyWriterCarryTheClientSettings() {
    assertThat(KafkaLedgerClient.producerConfig(CLIENT))
        .containsAllEntriesOf(SASL)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("enable.idempotence", true);
    assertThat(ApiKeyWriter.producerConfig(CLIENT))
        .containsAllEntriesOf(SASL)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("acks", "all");
  }

  @Test
  void metricsCarryTheJvmMetersTaggedGateway() {
    try (GatewayMetrics metrics = new GatewayMetrics()) {
      String scrape = metrics.scrape();
      assertThat(scrape)
          .containsPattern("jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*role=\"gateway\"")
          .containsPattern("jvm_memory_max_bytes\\{[^}]*role=\"gateway\"")
          .containsPattern("jvm_threads_live_threads\\{role=\"gateway\"}")
          .contains("jvm_gc_");
    }
  }
}

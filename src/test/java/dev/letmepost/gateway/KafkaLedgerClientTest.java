package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Limits;
import dev.letmepost.wire.ClientSettings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class KafkaLedgerClientTest {
  /**
   * The gateway's producer kept Kafka's default {@code max.request.size} while the ledger's size
   * limits are worked out against {@link Limits#MAX_REQUEST_SIZE}.
   */
  @Test
  void producerMaxRequestSizeIsTheLimitsOne() {
    assertThat(KafkaLedgerClient.producerConfig(ClientSettings.of("k1:9092")))
        .containsEntry(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Limits.MAX_REQUEST_SIZE)
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all");
  }
}

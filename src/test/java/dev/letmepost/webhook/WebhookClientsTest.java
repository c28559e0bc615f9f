package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookClientsTest {
  private static final Map<String, String> SASL =
      Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN");
  private static final ClientSettings CLIENT = ClientSettings.of("k1:9093", SASL);

  @Test
  void theDispatchersClientsCarryTheClientSettings() {
    Topics topics = new Topics("lmp.");
    assertThat(WebhookDispatcher.consumerConfig(CLIENT, topics))
        .containsAllEntriesOf(SASL)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("group.id", "lmp.webhook-dispatcher")
        .containsEntry("isolation.level", "read_committed");
    assertThat(WebhookDispatcher.producerConfig(CLIENT, topics, "w1"))
        .containsAllEntriesOf(SASL)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("transactional.id", "lmp.webhook-dispatcher-w1");
  }

  @Test
  void theStoresProducerCarriesTheClientSettings() {
    assertThat(WebhookStore.producerConfig(CLIENT))
        .containsAllEntriesOf(SASL)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("acks", "all");
  }
}

package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ClientSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerClientsTest {
  private static final Map<String, String> MTLS =
      Map.of(
          "security.protocol", "SSL",
          "ssl.keystore.location", "/etc/lmp/publisher.p12",
          "ssl.keystore.password", "changeit");
  private static final ClientSettings CLIENT = ClientSettings.of("k1:9093", MTLS);

  @Test
  void everyWorkerClientCarriesTheClientSettings() {
    assertThat(WorkerClients.consumerConfig(CLIENT, "lmp.publisher-x", "host-1"))
        .containsAllEntriesOf(MTLS)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("group.id", "lmp.publisher-x")
        .containsEntry("isolation.level", "read_committed");
    assertThat(WorkerClients.journalReaderConfig(CLIENT))
        .containsAllEntriesOf(MTLS)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("isolation.level", "read_committed");
    assertThat(WorkerClients.producerConfig(CLIENT, "lmp.publisher-x-host-1"))
        .containsAllEntriesOf(MTLS)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("transactional.id", "lmp.publisher-x-host-1")
        .containsEntry("enable.idempotence", true);
  }
}

package dev.letmepost.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientSettingsTest {
  private static final Map<String, String> SASL =
      Map.of(
          "security.protocol",
          "SASL_SSL",
          "sasl.mechanism",
          "SCRAM-SHA-512",
          "sasl.jaas.config",
          "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"lmp\""
              + " password=\"s3cret\";");

  @Test
  void everyClientConfigCarriesTheSettingsAndTheBootstrapServers() {
    ClientSettings client = ClientSettings.of("k1:9093,k2:9093", SASL);
    Map<String, Object> config = client.config(Map.of("acks", "all", "linger.ms", 5));
    assertThat(config)
        .containsAllEntriesOf(SASL)
        .containsEntry("bootstrap.servers", "k1:9093,k2:9093")
        .containsEntry("acks", "all")
        .containsEntry("linger.ms", 5)
        .hasSize(SASL.size() + 3);
    assertThat(client.config()).containsAllEntriesOf(SASL).hasSize(SASL.size() + 1);
  }

  @Test
  void eachConfigIsAFreshMutableMap() {
    ClientSettings client = ClientSettings.of("k1:9093", SASL);
    Map<String, Object> first = client.config();
    first.put("security.protocol", "PLAINTEXT");
    assertThat(client.config()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(client.properties()).containsEntry("security.protocol", "SASL_SSL");
  }

  @Test
  void theOperatorTunesWhatTheProductOnlyDefaults() {
    ClientSettings client = ClientSettings.of("k1:9093", Map.of("linger.ms", "20"));
    assertThat(client.config(Map.of("linger.ms", 5))).containsEntry("linger.ms", "20");
  }

  @Test
  void everyRefusedKeyIsRefusedNamingIt() {
    for (String key : ClientSettings.REFUSED) {
      assertThatThrownBy(() -> ClientSettings.of("k1:9093", Map.of(key, "x")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("Kafka client setting " + key + " cannot be given");
    }
  }

  @Test
  void aRefusedKeyBehindAStreamsClientPrefixIsRefusedToo() {
    for (String key :
        new String[] {
          "consumer.isolation.level",
          "main.consumer.group.id",
          "producer.transactional.id",
          "restore.consumer.key.deserializer",
          "admin.bootstrap.servers"
        }) {
      assertThatThrownBy(() -> ClientSettings.checked(Map.of(key, "x")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(key);
    }
  }

  @Test
  void bootstrapServersPointsAtTheFlag() {
    assertThatThrownBy(() -> ClientSettings.checked(Map.of("bootstrap.servers", "k9:9092")))
        .hasMessageContaining("--bootstrap-servers");
  }

  @Test
  void toStringNamesTheKeysButNeverTheValues() {
    String shown = ClientSettings.of("k1:9093", SASL).toString();
    assertThat(shown).contains("k1:9093", "sasl.jaas.config", "security.protocol");
    assertThat(shown).doesNotContain("s3cret", "SCRAM-SHA-512", "SASL_SSL");
  }

  @Test
  void loadsAPropertiesFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("client.properties");
    Files.writeString(
        file,
        "# SASL\nsecurity.protocol=SASL_SSL\nssl.truststore.location=/etc/lmp/ca.p12\n",
        StandardCharsets.UTF_8);
    assertThat(ClientSettings.load(file))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("security.protocol", "SASL_SSL", "ssl.truststore.location", "/etc/lmp/ca.p12"));
  }

  @Test
  void aMissingFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("nope.properties");
    assertThatThrownBy(() -> ClientSettings.load(missing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(missing.toString());
  }

  @Test
  void theDirectReadersConfigKeepsReadCommittedAndCarriesTheSettings() {
    assertThat(Consumers.readCommittedConfig(ClientSettings.of("k1:9093", SASL)))
        .containsAllEntriesOf(SASL)
        .containsEntry("isolation.level", "read_committed")
        .containsEntry("enable.auto.commit", false)
        .containsEntry("bootstrap.servers", "k1:9093");
  }
}

package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LedgerAppClientSettingsTest {
  private static final LedgerConfig CONFIG = LedgerConfig.defaults(Topics.defaults());

  @Test
  void theLedgersStreamsConfigCarriesTheClientSettings() {
    Properties p =
        LedgerApp.streamsProperties(
            CONFIG,
            ClientSettings.of(
                "k1:9093", Map.of("security.protocol", "SASL_SSL", "session.timeout.ms", "9000")),
            Path.of("state"),
            Map.of());
    assertThat(p)
        .containsEntry("bootstrap.servers", "k1:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("session.timeout.ms", "9000")
        .containsEntry("processing.guarantee", "exactly_once_v2");
  }

  @Test
  void anExplicitStreamsConfigWinsOverTheClientSettings() {
    Properties p =
        LedgerApp.streamsProperties(
            CONFIG,
            ClientSettings.of("k1:9093", Map.of("security.protocol", "SASL_SSL")),
            Path.of("state"),
            Map.of("security.protocol", "SSL"));
    assertThat(p).containsEntry("security.protocol", "SSL");
  }
}

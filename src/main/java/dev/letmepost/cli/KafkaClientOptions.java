package dev.letmepost.cli;

import dev.letmepost.wire.ClientSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The Kafka client settings every Kafka-using command takes (security.protocol, ssl.*, sasl.*,
 * ...): a properties file and single settings, the single ones winning. They reach every Kafka
 * client of the process; the values are never printed.
 */
final class KafkaClientOptions {
  @Option(
      names = "--kafka-config",
      paramLabel = "FILE",
      defaultValue = "${env:LMP_KAFKA_CONFIG}",
      description =
          "a Java properties file of Kafka client settings for every client of this process,"
              + " e.g. security.protocol, ssl.*, sasl.* (env LMP_KAFKA_CONFIG); the settings the"
              + " product sets itself (bootstrap.servers, serializers, isolation.level, acks,"
              + " transactional.id, group.id, ...) are refused")
  Path kafkaConfig;

  @Option(
      names = "--kafka-property",
      paramLabel = "KEY=VALUE",
      description = "one Kafka client setting, over --kafka-config's (repeatable)")
  Map<String, String> kafkaProperties = new LinkedHashMap<>();

  /**
   * The settings, checked.
   *
   * @throws IllegalArgumentException naming the file or the refused key
   */
  Map<String, String> properties() {
    Map<String, String> all = new LinkedHashMap<>();
    if (kafkaConfig != null) {
      all.putAll(ClientSettings.load(kafkaConfig));
    }
    all.putAll(kafkaProperties);
    return ClientSettings.checked(all);
  }

  /** The settings against {@code bootstrapServers}. */
  ClientSettings settings(String bootstrapServers) {
    return ClientSettings.of(bootstrapServers, properties());
  }
}

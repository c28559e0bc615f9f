package dev.letmepost.cli;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options every client command shares: where the cluster is, how to reach it (its Kafka client
 * settings) and the topic prefix.
 */
final class KafkaOptions {
  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:LMP_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description =
          "Kafka bootstrap servers (default: ${DEFAULT-VALUE}; env LMP_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Mixin TopicPrefixOption topicPrefix;

  @Mixin KafkaClientOptions client;

  /** The cluster and the client settings, for every Kafka client the command builds. */
  ClientSettings settings() {
    return client.settings(bootstrapServers);
  }

  Topics topics() {
    return topicPrefix.topics();
  }
}

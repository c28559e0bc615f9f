package dev.letmepost.cli;

import dev.letmepost.wire.Topics;
import picocli.CommandLine.Option;

/** The options every client command shares: where the cluster is and the topic prefix. */
final class KafkaOptions {
  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:LMP_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description =
          "Kafka bootstrap servers (default: ${DEFAULT-VALUE}; env LMP_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Option(
      names = "--topic-prefix",
      defaultValue = "${env:LMP_TOPIC_PREFIX:-lmp.}",
      description = "topic name prefix (default: ${DEFAULT-VALUE})")
  String topicPrefix;

  Topics topics() {
    return new Topics(topicPrefix);
  }
}

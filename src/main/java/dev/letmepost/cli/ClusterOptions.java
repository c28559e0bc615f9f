package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of the roles that run a ledger instance against a cluster ({@code gateway}, {@code
 * ledger}): the cluster (required), its client settings, the ledger's local state and the
 * replication factor of the topics created when missing.
 */
final class ClusterOptions {
  @Option(
      names = "--bootstrap-servers",
      required = true,
      defaultValue = "${env:LMP_BOOTSTRAP_SERVERS}",
      description = "the Kafka cluster (env LMP_BOOTSTRAP_SERVERS)")
  String bootstrapServers;

  @Mixin KafkaClientOptions client;

  @Mixin DataDirOption dataDir;

  @Mixin ReplicationFactorOption replication;

  /**
   * A ledger instance alone (no broker, no publishers) on this cluster, with {@code ledger}'s rules
   * and the Kafka Streams settings {@code streamsOverrides}.
   */
  Services.Options ledgerOnly(LedgerConfig ledger, Map<String, ?> streamsOverrides) {
    return new Services.Options(
        bootstrapServers,
        0,
        dataDir.path,
        replication.factor(false),
        false,
        ledger,
        streamsOverrides,
        false,
        0,
        null,
        InstanceIdOption.hostName(),
        client.properties(),
        Duration.ZERO);
  }
}

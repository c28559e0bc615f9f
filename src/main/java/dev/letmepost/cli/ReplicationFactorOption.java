package dev.letmepost.cli;

import picocli.CommandLine.Option;

/** The {@code --replication-factor} option: the replicas of the topics a command creates. */
final class ReplicationFactorOption {
  @Option(
      names = "--replication-factor",
      paramLabel = "<replicationFactor>",
      description =
          "replicas of the topics it creates when they are missing (default: 1 on the embedded"
              + " broker, 3 on a cluster)")
  Short given;

  /** The factor given, else 1 on the embedded broker and 3 on a cluster. */
  short factor(boolean embedded) {
    return given != null ? given : (short) (embedded ? 1 : 3);
  }
}

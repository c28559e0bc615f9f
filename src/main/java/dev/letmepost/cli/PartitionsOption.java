package dev.letmepost.cli;

import picocli.CommandLine.Option;

/** The {@code --partitions} option: the partitions of the topics a command creates. */
final class PartitionsOption {
  @Option(
      names = "--partitions",
      paramLabel = "<partitions>",
      defaultValue = "6",
      description =
          "partitions of created topics and of the ledger's repartition topic (default: ${DEFAULT-VALUE})")
  int count;
}

package dev.letmepost.cli;

import dev.letmepost.ledger.LedgerConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The ledger options {@code serve} and {@code gateway} share: topics, TTL, deadlines, Streams. */
final class LedgerOptions {
  @Mixin TopicPrefixOption topicPrefix;

  @Mixin PartitionsOption partitions;

  @Option(
      names = "--replay-ttl",
      defaultValue = "PT24H",
      description = "how long a key replays its first answer, ISO-8601 (default: ${DEFAULT-VALUE})")
  Duration replayTtl;

  @Option(
      names = "--skew-allowance",
      defaultValue = "PT1H",
      description =
          "timestamp skew tolerated before clamping; added to the store's retention (default: ${DEFAULT-VALUE})")
  Duration skew;

  @Option(
      names = "--target-deadline",
      defaultValue = "PT5M",
      description =
          "time a target may go without outcome before it ends unknown (default: ${DEFAULT-VALUE})")
  Duration targetDeadline;

  @Option(
      names = "--max-command-lag",
      defaultValue = "PT6H",
      description =
          "how long after the broker accepted a command the ledger still decides it; a later one is"
              + " answered 503 ledger_behind, nothing recorded or published; added to the stores'"
              + " retention; must be shorter than --replay-ttl (default: ${DEFAULT-VALUE})")
  Duration maxCommandLag;

  @Option(
      names = "--outcome-grace",
      description =
          "how long after a target's deadline its outcome is still taken before it ends unknown;"
              + " at least the longest platform call (Bluesky: 4 requests of 25 s), refused if"
              + " shorter (default: that + 20 s, ${DEFAULT-VALUE})")
  Duration outcomeGrace = LedgerConfig.DEFAULT_OUTCOME_GRACE;

  @Option(
      names = "--max-waiters",
      defaultValue = "16",
      description = "retries that may wait on one running batch (default: ${DEFAULT-VALUE})")
  int maxWaiters;

  @Option(
      names = "--streams-config",
      paramLabel = "KEY=VALUE",
      description =
          "any Kafka Streams setting for the ledger, e.g. num.stream.threads=2 (repeatable)")
  Map<String, String> streamsConfig = Map.of();

  LedgerConfig config() {
    return new LedgerConfig(
        topicPrefix.topics(),
        replayTtl,
        skew,
        targetDeadline,
        maxWaiters,
        LedgerConfig.DEFAULT_TIMER_INTERVAL,
        partitions.count,
        maxCommandLag,
        outcomeGrace);
  }

  /** {@code base} (the gateway's settings, when it runs), then {@code --streams-config}'s. */
  Map<String, String> streamsOverrides(Map<String, String> base) {
    Map<String, String> all = new HashMap<>(base);
    all.putAll(streamsConfig);
    return all;
  }
}

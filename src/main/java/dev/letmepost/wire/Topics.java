package dev.letmepost.wire;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The typed registry of every topic in the contract (docs/contract.md#topics). Call sites read
 * names and serdes from here, never from string literals.
 */
public final class Topics {
  /** The default name prefix. */
  public static final String DEFAULT_PREFIX = "lmp.";

  private static final Map<String, String> COMPACTED = Map.of("cleanup.policy", "compact");

  /**
   * A compacted topic whose entries live briefly (written, then tombstoned once their work is
   * done): compacted as soon as a tenth of it is dirty, in hour-long segments, its tombstones kept
   * a day.
   */
  private static final Map<String, String> COMPACTED_SHORT_LIVED =
      Map.of(
          "cleanup.policy",
          "compact",
          "min.cleanable.dirty.ratio",
          "0.1",
          "segment.ms",
          "3600000",
          "delete.retention.ms",
          "86400000");

  private final String prefix;
  private final Topic<byte[], byte[]> commands;
  private final Topic<String, byte[]> results;
  private final Topic<String, TargetOutcome> outcomes;
  private final Topic<String, Account> accounts;
  private final Topic<String, byte[]> apiKeys;
  private final Topic<byte[], byte[]> deadLetters;
  private final Topic<String, PostEvent> events;
  private final Topic<String, byte[]> webhookEndpoints;
  private final Topic<String, byte[]> webhookPending;
  private final Topic<String, byte[]> webhookDeliveries;

  /**
   * {@code max.message.bytes} of the commands topic as the product creates it: the largest body the
   * ledger decides (512 KiB) plus room for headers and batch overhead; a larger record is refused
   * by the broker at produce time.
   */
  public static final int COMMANDS_MAX_MESSAGE_BYTES = 576 * 1024;

  public Topics(String prefix) {
    if (prefix == null || !prefix.matches("[A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(
          "topic prefix may hold only letters, digits, '.', '_' and '-', got '" + prefix + "'");
    }
    this.prefix = prefix;
    this.commands =
        new Topic<>(
            prefix + "post-commands",
            Serdes.ByteArray(),
            Serdes.ByteArray(),
            Map.of(
                "message.timestamp.type",
                "LogAppendTime",
                "max.message.bytes",
                Integer.toString(COMMANDS_MAX_MESSAGE_BYTES)));
    this.results =
        new Topic<>(prefix + "post-results", Serdes.String(), Serdes.ByteArray(), Map.of());
    this.outcomes =
        new Topic<>(
            prefix + "target-outcomes", Serdes.String(), Json.serde(TargetOutcome.class), Map.of());
    this.accounts =
        new Topic<>(prefix + "accounts", Serdes.String(), Json.serde(Account.class), COMPACTED);
    this.apiKeys = new Topic<>(prefix + "api-keys", Serdes.String(), Serdes.ByteArray(), COMPACTED);
    this.deadLetters =
        new Topic<>(prefix + "dead-letters", Serdes.ByteArray(), Serdes.ByteArray(), Map.of());
    this.events =
        new Topic<>(prefix + "post-events", Serdes.String(), Json.serde(PostEvent.class), Map.of());
    this.webhookEndpoints =
        new Topic<>(prefix + "webhook-endpoints", Serdes.String(), Serdes.ByteArray(), COMPACTED);
    this.webhookPending =
        new Topic<>(
            prefix + "webhook-pending", Serdes.String(), Serdes.ByteArray(), COMPACTED_SHORT_LIVED);
    this.webhookDeliveries =
        new Topic<>(
            prefix + "webhook-deliveries",
            Serdes.String(),
            Serdes.ByteArray(),
            Map.of("retention.ms", Long.toString(7L * 24 * 3600 * 1000)));
  }

  public static Topics defaults() {
    return new Topics(DEFAULT_PREFIX);
  }

  public String prefix() {
    return prefix;
  }

  /** Post commands: key untrusted, value the exact request body bytes. */
  public Topic<byte[], byte[]> commands() {
    return commands;
  }

  /** Answers: key request id, value the exact response body bytes. */
  public Topic<String, byte[]> results() {
    return results;
  }

  /** The producer topic of one platform: key account id, value a publish task. */
  public Topic<String, PublishTask> publish(Platform platform) {
    return new Topic<>(
        publishTopicName(platform.wireName()),
        Serdes.String(),
        Json.serde(PublishTask.class),
        Map.of());
  }

  /** The name of a platform's producer topic, for a platform given by its wire name. */
  public String publishTopicName(String platformWireName) {
    return prefix + "publish." + platformWireName;
  }

  /**
   * A platform's publisher journal, compacted: key task id, value the attempt in progress (JSON),
   * null once its outcome is written. Partitioned like the platform's publish topic: the entry for
   * a task of publish partition p lives in journal partition p.
   */
  public Topic<String, byte[]> journal(Platform platform) {
    return new Topic<>(
        prefix + "publisher-journal." + platform.wireName(),
        Serdes.String(),
        Serdes.ByteArray(),
        COMPACTED_SHORT_LIVED);
  }

  /** Per-target outcomes: key request fingerprint. */
  public Topic<String, TargetOutcome> outcomes() {
    return outcomes;
  }

  /** Accounts, compacted: key account id, null deletes. */
  public Topic<String, Account> accounts() {
    return accounts;
  }

  /** API keys, compacted: key SHA-256 of the key. */
  public Topic<String, byte[]> apiKeys() {
    return apiKeys;
  }

  /** Records nothing could parse: original key and value plus error headers. */
  public Topic<byte[], byte[]> deadLetters() {
    return deadLetters;
  }

  /** Lifecycle events: key batch id, value a {@link PostEvent}. */
  public Topic<String, PostEvent> events() {
    return events;
  }

  /**
   * Webhook endpoints, compacted: key endpoint id, value the endpoint (JSON, never its signing
   * secret), null once deleted.
   */
  public Topic<String, byte[]> webhookEndpoints() {
    return webhookEndpoints;
  }

  /**
   * The webhook dispatcher's pending deliveries, compacted: key {@code <endpoint id>/<event id>},
   * value the delivery still owed (JSON), null once delivered or given up. Partitioned like the
   * events topic: a delivery of an event read from events partition p lives in partition p.
   */
  public Topic<String, byte[]> webhookPending() {
    return webhookPending;
  }

  /** Webhook delivery attempts (JSON), key endpoint id; kept 7 days. */
  public Topic<String, byte[]> webhookDeliveries() {
    return webhookDeliveries;
  }

  /** Every topic: the contract's, one producer topic and one publisher journal per platform. */
  public List<Topic<?, ?>> all() {
    List<Topic<?, ?>> all =
        new ArrayList<>(
            List.of(
                commands,
                results,
                outcomes,
                accounts,
                apiKeys,
                deadLetters,
                events,
                webhookEndpoints,
                webhookPending,
                webhookDeliveries));
    Arrays.stream(Platform.values()).map(this::publish).forEach(all::add);
    Arrays.stream(Platform.values()).map(this::journal).forEach(all::add);
    return List.copyOf(all);
  }
}

package dev.letmepost.wire;

import dev.letmepost.client.Backoff;
import dev.letmepost.client.TopicFollower;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The contract's direct readers: a consumer outside any group that sees committed records only
 * ({@code read_committed}, so never an aborted or still-open transaction's), commits nothing, and
 * is assigned every partition of the topic it follows.
 */
public final class Consumers {
  /** How long {@link #assignAll(Consumer, String)} waits for the topic's metadata. */
  public static final Duration METADATA_TIMEOUT = TopicFollower.METADATA_TIMEOUT;

  private Consumers() {}

  /** The configuration of a direct reader: {@code read_committed}, no auto-commit. */
  public static Map<String, Object> readCommittedConfig(ClientSettings client) {
    return client.config(
        Map.of(
            ConsumerConfig.ISOLATION_LEVEL_CONFIG,
            "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false));
  }

  /** {@link #readCommittedConfig(ClientSettings)} with bootstrap servers alone. */
  public static Map<String, Object> readCommittedConfig(String bootstrapServers) {
    return readCommittedConfig(ClientSettings.of(bootstrapServers));
  }

  /** A direct reader ({@link #readCommittedConfig}), nothing assigned yet. */
  public static <K, V> KafkaConsumer<K, V> readCommitted(
      ClientSettings client, Deserializer<K> keys, Deserializer<V> values) {
    return new KafkaConsumer<>(readCommittedConfig(client), keys, values);
  }

  /**
   * {@link #readCommitted(ClientSettings, Deserializer, Deserializer)} on bootstrap servers alone.
   */
  public static <K, V> KafkaConsumer<K, V> readCommitted(
      String bootstrapServers, Deserializer<K> keys, Deserializer<V> values) {
    return readCommitted(ClientSettings.of(bootstrapServers), keys, values);
  }

  /**
   * Assigns every partition of {@code topic} to {@code consumer}, waiting up to {@link
   * #METADATA_TIMEOUT} for its metadata; fails when the topic is missing ({@link
   * TopicFollower#assignAll}, its home).
   */
  public static List<TopicPartition> assignAll(Consumer<?, ?> consumer, String topic) {
    return TopicFollower.assignAll(consumer, topic);
  }

  /**
   * A {@link TopicFollower} of {@code topic} from its beginning on direct readers, named {@code
   * follow-<topic>}, restarting on {@link Backoff#DEFAULT}; fails when the topic does not exist.
   */
  public static TopicFollower follow(
      ClientSettings client, String topic, TopicFollower.Apply apply) {
    return new TopicFollower(
        "follow-" + topic,
        topic,
        TopicFollower.From.BEGINNING,
        () -> readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer()),
        Backoff.DEFAULT,
        Backoff.Sleeper.SYSTEM,
        apply);
  }
}

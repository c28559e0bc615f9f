package dev.letmepost.publish;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** The settings of a publisher worker's Kafka clients: task consumer, journal reader, producer. */
final class WorkerClients {
  private WorkerClients() {}

  /**
   * The task consumer's settings. Static membership ({@code group.instance.id}, the instance's
   * transactional id): a worker restarted with the same instance id gets its partitions back at
   * once instead of after a rebalance; a member that died for good loses them after the 10 s
   * session timeout.
   */
  static Map<String, Object> consumerConfig(
      ClientSettings client, String groupId, String groupInstanceId) {
    return client.config(
        Map.ofEntries(
            Map.entry(ConsumerConfig.GROUP_ID_CONFIG, groupId),
            Map.entry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, groupInstanceId),
            Map.entry(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000),
            Map.entry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000),
            Map.entry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            Map.entry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
            Map.entry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            Map.entry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200),
            Map.entry(
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName()),
            Map.entry(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class),
            Map.entry(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)));
  }

  /**
   * The journal reader's settings. It seeks to offsets it read before; should one have gone (the
   * log start moved past it), it starts over from the earliest offset rather than skip entries.
   */
  static Map<String, Object> journalReaderConfig(ClientSettings client) {
    Map<String, Object> config = new HashMap<>(Consumers.readCommittedConfig(client));
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return config;
  }

  static Map<String, Object> producerConfig(ClientSettings client, String transactionalId) {
    return client.config(
        Map.of(
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            transactionalId,
            ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
            15_000,
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.LINGER_MS_CONFIG,
            5,
            ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
            StringSerializer.class,
            ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
            ByteArraySerializer.class));
  }
}

package dev.letmepost.cli;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads topics directly: a whole topic from its beginning to its current end, read_committed. */
public final class TopicReader {
  private TopicReader() {}

  /** A topic keyed by strings, from its beginning to its current end, each value as written. */
  public static List<ConsumerRecord<String, byte[]>> readAll(ClientSettings client, String topic) {
    return readAll(client, topic, new StringDeserializer(), new ByteArrayDeserializer());
  }

  public static <K, V> List<ConsumerRecord<K, V>> readAll(
      ClientSettings client, String topic, Deserializer<K> keys, Deserializer<V> values) {
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    try (KafkaConsumer<K, V> consumer = Consumers.readCommitted(client, keys, values)) {
      List<TopicPartition> partitions = Consumers.assignAll(consumer, topic);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " to its end within 60 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}

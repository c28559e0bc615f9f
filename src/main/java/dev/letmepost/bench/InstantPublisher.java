package dev.letmepost.bench;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher that publishes nothing: it reads every platform's publish topic ({@code
 * read_committed}, from the end at start) and answers each task at once with a {@code published}
 * outcome, so that only the ledger's own cost is measured.
 */
final class InstantPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(InstantPublisher.class);

  private final KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, TargetOutcome> producer;
  private final String outcomes;
  private final Thread thread;
  private final AtomicLong answered = new AtomicLong();
  private volatile boolean running = true;

  private InstantPublisher(ClientSettings client, Topics topics) {
    this.outcomes = topics.outcomes().name();
    this.consumer =
        Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    for (Platform p : Platform.values()) {
      partitions.addAll(
          consumer.partitionsFor(topics.publish(p).name(), Consumers.METADATA_TIMEOUT).stream()
              .map(i -> new TopicPartition(i.topic(), i.partition()))
              .toList());
    }
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
    Serializer<TargetOutcome> values = topics.outcomes().valueSerde().serializer();
    this.producer =
        new KafkaProducer<>(
            client.config(
                Map.of(
                    ProducerConfig.ACKS_CONFIG,
                    "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                    true,
                    ProducerConfig.LINGER_MS_CONFIG,
                    1)),
            new StringSerializer(),
            values);
    this.thread = new Thread(this::run, "bench-instant-publisher");
  }

  /** Starts answering every task written from now on. */
  static InstantPublisher start(ClientSettings client, Topics topics) {
    InstantPublisher p = new InstantPublisher(client, topics);
    p.thread.start();
    return p;
  }

  /** How many tasks it answered. */
  long answered() {
    return answered.get();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          PublishTask task = Json.read(r.value(), PublishTask.class);
          TargetOutcome o =
              TargetOutcome.published(task, "bench_" + task.taskId(), "bench://" + task.taskId());
          producer.send(new ProducerRecord<>(outcomes, task.fingerprint(), o));
          answered.incrementAndGet();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("the instant publisher stopped", e);
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
    consumer.close(Duration.ofSeconds(5));
  }
}

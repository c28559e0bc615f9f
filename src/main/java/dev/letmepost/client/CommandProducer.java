package dev.letmepost.client;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes {@link Command}s to the commands topic: an idempotent producer ({@code acks=all}) of the
 * records {@link Command#toRecord} makes, keyed by the fingerprint so that the ledger decides each
 * without its repartition hop. Thread-safe, like the Kafka producer it wraps; one per process is
 * enough.
 */
public final class CommandProducer implements AutoCloseable {
  private final Producer<byte[], byte[]> producer;
  private final String topic;

  /**
   * A producer to {@code topic} with the user's Kafka settings ({@code bootstrap.servers},
   * security, tuning such as {@code linger.ms}); the client sets idempotence and {@code acks=all}
   * itself.
   *
   * @throws IllegalArgumentException naming a setting that contradicts those
   */
  public CommandProducer(Map<String, ?> kafka, String topic) {
    this(
        new KafkaProducer<>(config(kafka), new ByteArraySerializer(), new ByteArraySerializer()),
        topic);
  }

  /**
   * The configuration a command producer runs with: the user's settings {@code kafka}, idempotent,
   * {@code acks=all}; by default no linger and a {@code max.request.size} of 1 MiB, the size the
   * ledger's limits are worked out against.
   *
   * @throws IllegalArgumentException naming a setting that contradicts those
   */
  public static Map<String, Object> config(Map<String, ?> kafka) {
    return KafkaConfigs.producer(kafka);
  }

  /**
   * A producer on {@code producer}, configured as {@link #config} makes it (or a mock, in tests).
   */
  public CommandProducer(Producer<byte[], byte[]> producer, String topic) {
    this.producer = Objects.requireNonNull(producer, "producer");
    this.topic = Objects.requireNonNull(topic, "topic");
  }

  /**
   * Sends {@code command}. The future completes when the broker has it; it fails with the
   * producer's error, whether the producer reports it later (timeout, authorization, a record too
   * large for the topic) or throws it at once (closed, too large for the producer).
   */
  public CompletableFuture<RecordMetadata> send(Command command) {
    CompletableFuture<RecordMetadata> sent = new CompletableFuture<>();
    try {
      Future<RecordMetadata> unused =
          producer.send(
              command.toRecord(topic),
              (metadata, e) -> {
                if (e != null) {
                  sent.completeExceptionally(e);
                } else {
                  sent.complete(metadata);
                }
              });
    } catch (RuntimeException e) {
      sent.completeExceptionally(e);
    }
    return sent;
  }

  /** Sends what is buffered now and waits until the broker has it. */
  public void flush() {
    producer.flush();
  }

  /** Sends what is buffered, waiting at most 5 s, and closes the producer. */
  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
  }
}

package dev.letmepost.cli;

import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A Kafka client of the ledger: produces post commands and reads their answers from the results
 * topic ({@code read_committed}), matched by request id. Answers are read from the moment the
 * client was created, so create it before sending.
 */
public final class PostClient implements AutoCloseable {
  /** One answer, as the results topic carries it. */
  public record Answer(
      String requestId,
      int status,
      boolean replayed,
      String idempotencyKey,
      String batchId,
      String keyExpires,
      ByteString body) {
    public String bodyText() {
      return body.toUtf8String();
    }
  }

  private final Topics topics;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, Answer> unclaimed = new HashMap<>();

  /** The command producer's settings: idempotent, acks=all. */
  static Map<String, Object> producerConfig(ClientSettings client) {
    return client.config(
        Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all"));
  }

  public PostClient(ClientSettings client, Topics topics) {
    this.topics = topics;
    this.producer =
        new KafkaProducer<>(
            producerConfig(client), new ByteArraySerializer(), new ByteArraySerializer());
    this.consumer =
        Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = Consumers.assignAll(consumer, topics.results().name());
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
  }

  /** Produces one command with the contract's headers and the body's exact bytes. */
  public void send(String principal, String idempotencyKey, String requestId, byte[] body) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(LmpHeaders.PRINCIPAL, utf8(principal));
    headers.add(LmpHeaders.REQUEST_ID, utf8(requestId));
    if (idempotencyKey != null) {
      headers.add(LmpHeaders.IDEMPOTENCY_KEY, utf8(idempotencyKey));
    }
    producer.send(
        new ProducerRecord<>(topics.commands().name(), null, null, utf8(requestId), body, headers));
    producer.flush();
  }

  /** The answer to {@code requestId}, or empty when none arrived within {@code timeout}. */
  public Optional<Answer> await(String requestId, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!unclaimed.containsKey(requestId) && System.nanoTime() < end) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
        unclaimed.put(r.key(), answer(r));
      }
    }
    return Optional.ofNullable(unclaimed.remove(requestId));
  }

  /** Sends and awaits. */
  public Optional<Answer> post(
      String principal, String idempotencyKey, String requestId, byte[] body, Duration timeout) {
    send(principal, idempotencyKey, requestId, body);
    return await(requestId, timeout);
  }

  private static Answer answer(ConsumerRecord<String, byte[]> r) {
    return new Answer(
        r.key(),
        Integer.parseInt(header(r, LmpHeaders.STATUS)),
        Boolean.parseBoolean(header(r, LmpHeaders.REPLAYED)),
        header(r, LmpHeaders.IDEMPOTENCY_KEY),
        header(r, LmpHeaders.BATCH_ID),
        header(r, LmpHeaders.KEY_EXPIRES),
        r.value() == null ? null : ByteString.copyOf(r.value()));
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(5));
    consumer.close(Duration.ofSeconds(5));
  }
}

package dev.letmepost.publish;

import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.platform.sandbox.SandboxPlatform.SandboxPost;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher worker for the demo: consumes the publish tasks of a set of platforms, publishes each
 * to the {@link SandboxPlatform} and writes one {@link TargetOutcome} per task to the
 * target-outcomes topic.
 *
 * <p>One consumer group for the whole platform set, {@code <prefix>publisher-<platforms>} (wire
 * names, sorted, joined by '-'). {@link #run()} polls until {@link #close()} is called from another
 * thread.
 */
public final class MinimalPublisher implements Runnable, AutoCloseable {
  /*
   * Delivery. This worker is AT-LEAST-ONCE towards the sandbox: offsets are committed only after a
   * poll's outcomes are sent and flushed, so a crash (or a failed send, which rewinds the
   * consumer) between sandbox.publish() and the commit delivers the task again and calls the
   * sandbox again. That is safe ONLY because the sandbox dedups on the platform idempotency key and
   * answers the first post, so the repeated outcome is identical. It would not be safe for a real
   * platform; outcomes too may reach the ledger more than once, which must take the first.
   *
   * The sandbox is asked for the key BEFORE the deadline check: a task redelivered after its
   * deadline whose first delivery did publish must report that post, not "deadline_exceeded".
   *
   * The "Publishers" issue replaces this class with the journaled at-most-once worker of DESIGN.md
   * section 5 (attempt journal, reconciliation, retries with backoff, `unknown` at the deadline,
   * connectors per platform). Keep this class small until then: the seams are the sandbox call in
   * outcomeOf(), and the consumer/producer pair that tests inject.
   *
   * Errors. A task that cannot be parsed has no fingerprint to answer to: it goes to the dead
   * letters, untouched, and its batch waits for the ledger's own deadline. A sandbox failure is an
   * `unknown` outcome (a write may have torn), never a blind retry. Nothing one record does stops
   * the loop; a loop-level failure (poll, commit) is logged and the loop goes on after a pause.
   */

  static final String MALFORMED_TASK = "malformed_task";
  static final String DEADLINE_EXCEEDED = "deadline_exceeded";

  private static final Logger log = LoggerFactory.getLogger(MinimalPublisher.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  private static final Duration ERROR_PAUSE = Duration.ofSeconds(1);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> ERROR_HEADERS =
      List.of(
          LmpHeaders.ERROR_CODE,
          LmpHeaders.ERROR_MESSAGE,
          LmpHeaders.ERROR_TOPIC,
          LmpHeaders.ERROR_PARTITION,
          LmpHeaders.ERROR_OFFSET);

  private final Topics topics;
  private final SandboxPlatform sandbox;
  private final Clock clock;
  private final String groupId;
  private final Consumer<String, byte[]> consumer;
  private final Producer<String, byte[]> producer;
  private final Serializer<TargetOutcome> outcomeSerializer;
  private final CountDownLatch closeRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean started = new AtomicBoolean();

  /** A publisher for {@code platforms} with its own consumer and idempotent producer. */
  public MinimalPublisher(
      String bootstrapServers,
      Topics topics,
      Set<Platform> platforms,
      SandboxPlatform sandbox,
      Clock clock) {
    this(
        topics,
        platforms,
        sandbox,
        clock,
        new KafkaConsumer<>(consumerConfig(bootstrapServers, groupId(topics, platforms))),
        new KafkaProducer<>(producerConfig(bootstrapServers)));
  }

  /** A publisher on the given clients, which it subscribes now and closes on {@link #close()}. */
  MinimalPublisher(
      Topics topics,
      Set<Platform> platforms,
      SandboxPlatform sandbox,
      Clock clock,
      Consumer<String, byte[]> consumer,
      Producer<String, byte[]> producer) {
    this.topics = Objects.requireNonNull(topics, "topics");
    this.sandbox = Objects.requireNonNull(sandbox, "sandbox");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.groupId = groupId(topics, platforms);
    this.consumer = Objects.requireNonNull(consumer, "consumer");
    this.producer = Objects.requireNonNull(producer, "producer");
    this.outcomeSerializer = topics.outcomes().valueSerde().serializer();
    consumer.subscribe(platforms.stream().map(p -> topics.publish(p).name()).sorted().toList());
  }

  /** {@code <prefix>publisher-<wire names of the platforms, sorted, joined by '-'>}. */
  public String groupId() {
    return groupId;
  }

  static String groupId(Topics topics, Set<Platform> platforms) {
    Objects.requireNonNull(platforms, "platforms");
    if (platforms.isEmpty()) {
      throw new IllegalArgumentException("a publisher needs at least one platform, got none");
    }
    return topics.prefix()
        + "publisher-"
        + platforms.stream().map(Platform::wireName).sorted().collect(Collectors.joining("-"));
  }

  static Map<String, Object> consumerConfig(String bootstrapServers, String groupId) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    return Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG,
        groupId,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
        "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
        false,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
        StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
        ByteArrayDeserializer.class);
  }

  static Map<String, Object> producerConfig(String bootstrapServers) {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
        true,
        ProducerConfig.ACKS_CONFIG,
        "all",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
        StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
        ByteArraySerializer.class);
  }

  /** Polls and publishes until {@link #close()}; then closes both clients. Runs once. */
  @Override
  public void run() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("publisher " + groupId + " was already started or closed");
    }
    log.info("publisher {} started on {}", groupId, consumer.subscription());
    try {
      while (closeRequested.getCount() > 0) {
        try {
          pollOnce(POLL_TIMEOUT);
        } catch (WakeupException e) {
          // close() woke the consumer; the loop condition ends the loop.
        } catch (RuntimeException e) {
          log.error("publisher {} failed a poll; going on in {}", groupId, ERROR_PAUSE, e);
          pauseAfterError();
        }
      }
    } finally {
      closeClients();
      stopped.countDown();
      log.info("publisher {} stopped", groupId);
    }
  }

  /**
   * Stops the loop and closes both clients, waiting for {@link #run()} to finish. Call it from
   * another thread than the one running the loop.
   */
  @Override
  public void close() {
    closeRequested.countDown();
    if (started.compareAndSet(false, true)) {
      closeClients();
      stopped.countDown();
      return;
    }
    consumer.wakeup();
    try {
      if (!stopped.await(CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("publisher {} did not stop within {}", groupId, CLOSE_TIMEOUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Polls once, answers every record polled, and commits their offsets once the answers are sent
   * and flushed. If an answer cannot be sent, nothing is committed and the consumer is rewound to
   * the first record of the poll. Returns the number of records committed.
   */
  int pollOnce(Duration timeout) {
    ConsumerRecords<String, byte[]> records = consumer.poll(timeout);
    if (records.isEmpty()) {
      return 0;
    }
    try {
      List<Future<RecordMetadata>> sends = new ArrayList<>(records.count());
      for (ConsumerRecord<String, byte[]> record : records) {
        sends.add(producer.send(answer(record)));
      }
      producer.flush();
      for (Future<RecordMetadata> send : sends) {
        send.get();
      }
    } catch (ExecutionException | RuntimeException e) {
      log.error(
          "publisher {} could not send the answers to {} record(s); rewinding to handle them again",
          groupId,
          records.count(),
          e instanceof ExecutionException ? e.getCause() : e);
      rewind(records);
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      rewind(records);
      return 0;
    }
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> polled = records.records(partition);
      next.put(partition, new OffsetAndMetadata(polled.get(polled.size() - 1).offset() + 1));
    }
    consumer.commitSync(next);
    return records.count();
  }

  /** The record answering one polled record: an outcome, or a dead letter. */
  private ProducerRecord<String, byte[]> answer(ConsumerRecord<String, byte[]> record) {
    PublishTask task;
    try {
      if (record.value() == null) {
        throw new SerializationException("value is null, expected a PublishTask JSON object");
      }
      task = Json.read(record.value(), PublishTask.class);
    } catch (SerializationException e) {
      log.warn(
          "dead-lettering malformed task at {}-{}@{}: {}",
          record.topic(),
          record.partition(),
          record.offset(),
          e.getMessage());
      return deadLetter(record, e.getMessage());
    }
    String topic = topics.outcomes().name();
    return new ProducerRecord<>(
        topic, task.fingerprint(), outcomeSerializer.serialize(topic, outcomeOf(task)));
  }

  private TargetOutcome outcomeOf(PublishTask task) {
    Optional<SandboxPost> earlier = sandbox.find(task.platformIdempotencyKey());
    if (earlier.isPresent()) {
      log.info("task {} was already published as {}", task.taskId(), earlier.get().postId());
      return TargetOutcome.published(task, earlier.get().postId(), earlier.get().uri());
    }
    long now = clock.millis();
    if (now > task.deadline()) {
      String message =
          "task "
              + task.taskId()
              + " passed its deadline "
              + Instant.ofEpochMilli(task.deadline())
              + " (now "
              + Instant.ofEpochMilli(now)
              + "); not attempted";
      log.info("{}", message);
      return TargetOutcome.failed(task, new TargetError(DEADLINE_EXCEEDED, message, false));
    }
    SandboxPost post;
    try {
      post = sandbox.publish(task);
    } catch (RuntimeException e) {
      log.error("sandbox publish of task {} failed; its outcome is unknown", task.taskId(), e);
      return TargetOutcome.unknown(
          task, "sandbox publish of task " + task.taskId() + " failed: " + e);
    }
    log.info(
        "task {} for account {} {} as {}",
        task.taskId(),
        task.accountId(),
        post.duplicate() ? "was already published" : "published",
        post.postId());
    return TargetOutcome.published(task, post.postId(), post.uri());
  }

  private ProducerRecord<String, byte[]> deadLetter(
      ConsumerRecord<String, byte[]> record, String message) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    ERROR_HEADERS.forEach(headers::remove);
    headers.add(LmpHeaders.ERROR_CODE, utf8(MALFORMED_TASK));
    headers.add(LmpHeaders.ERROR_MESSAGE, utf8(message));
    headers.add(LmpHeaders.ERROR_TOPIC, utf8(record.topic()));
    headers.add(LmpHeaders.ERROR_PARTITION, utf8(Integer.toString(record.partition())));
    headers.add(LmpHeaders.ERROR_OFFSET, utf8(Long.toString(record.offset())));
    return new ProducerRecord<>(
        topics.deadLetters().name(), null, record.key(), record.value(), headers);
  }

  private void rewind(ConsumerRecords<String, byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      try {
        consumer.seek(partition, records.records(partition).get(0).offset());
      } catch (RuntimeException e) {
        // No longer assigned: the new owner starts from the last commit.
        log.warn("publisher {} could not rewind {}: {}", groupId, partition, e.toString());
      }
    }
  }

  private void pauseAfterError() {
    try {
      closeRequested.await(ERROR_PAUSE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeRequested.countDown();
    }
  }

  private void closeClients() {
    try {
      consumer.close();
    } catch (RuntimeException e) {
      log.warn("publisher {} could not close its consumer", groupId, e);
    }
    try {
      producer.close(Duration.ofSeconds(10));
    } catch (RuntimeException e) {
      log.warn("publisher {} could not close its producer", groupId, e);
    }
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
  }
}

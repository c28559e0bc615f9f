package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.platform.sandbox.SandboxPlatform.AcceptedPost;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MinimalPublisherTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final Topics TOPICS = new Topics("t.");
  private static final TopicPartition TASKS = new TopicPartition("t.publish.sandbox", 0);

  @TempDir Path sandboxDir;

  private final List<Map<TopicPartition, OffsetAndMetadata>> commits = new ArrayList<>();
  private final List<Integer> sentAtCommit = new ArrayList<>();
  private final List<Boolean> flushedAtCommit = new ArrayList<>();
  private MockProducer<String, byte[]> producer;
  private MockConsumer<String, byte[]> consumer;
  private SandboxPlatform sandbox;
  private MinimalPublisher publisher;

  @BeforeEach
  void setUp() {
    producer = new MockProducer<>(false, null, new StringSerializer(), new ByteArraySerializer());
    consumer =
        new MockConsumer<>("earliest") {
          @Override
          public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            commits.add(Map.copyOf(offsets));
            sentAtCommit.add(producer.history().size());
            flushedAtCommit.add(producer.flushed());
            super.commitSync(offsets);
          }
        };
    sandbox = new SandboxPlatform(sandboxDir, CLOCK);
    publisher =
        new MinimalPublisher(TOPICS, Set.of(Platform.SANDBOX), sandbox, CLOCK, consumer, producer);
    consumer.rebalance(List.of(TASKS));
    consumer.updateBeginningOffsets(Map.of(TASKS, 0L));
  }

  @AfterEach
  void tearDown() {
    publisher.close();
  }

  @Test
  void taskBecomesOnePublishedOutcomeKeyedByFingerprint() {
    consumer.addRecord(record(0, "acc_1", Json.write(task("t_1", NOW.plusSeconds(60)))));

    assertThat(publisher.pollOnce(Duration.ZERO)).isEqualTo(1);

    List<AcceptedPost> posts = SandboxPlatform.readPosts(sandboxDir);
    assertThat(posts).singleElement().extracting(AcceptedPost::taskId).isEqualTo("t_1");
    String postId = posts.get(0).postId();
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            outcome -> {
              assertThat(outcome.topic()).isEqualTo("t.target-outcomes");
              assertThat(outcome.key()).isEqualTo("fp_1");
              assertThat(utf8(outcome.value()))
                  .isEqualTo(
                      "{\"taskId\":\"t_1\",\"batchId\":\"batch_1\",\"fingerprint\":\"fp_1\","
                          + "\"recordedAt\":"
                          + NOW.toEpochMilli()
                          + ",\"targetIndex\":2,"
                          + "\"status\":\"published\",\"postId\":\""
                          + postId
                          + "\","
                          + "\"uri\":\"sandbox://acc_1/"
                          + postId
                          + "\"}");
            });
    assertThat(commits).containsExactly(Map.of(TASKS, new OffsetAndMetadata(1)));
  }

  @Test
  void taskPastItsDeadlineFailsWithoutCallingTheSandbox() {
    Instant deadline = NOW.minusMillis(1);
    consumer.addRecord(record(0, "acc_1", Json.write(task("t_1", deadline))));

    publisher.pollOnce(Duration.ZERO);

    assertThat(SandboxPlatform.readPosts(sandboxDir)).isEmpty();
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            outcome -> {
              assertThat(outcome.topic()).isEqualTo("t.target-outcomes");
              assertThat(outcome.key()).isEqualTo("fp_1");
              assertThat(utf8(outcome.value()))
                  .isEqualTo(
                      "{\"taskId\":\"t_1\",\"batchId\":\"batch_1\",\"fingerprint\":\"fp_1\","
                          + "\"recordedAt\":"
                          + NOW.toEpochMilli()
                          + ",\"targetIndex\":2,"
                          + "\"status\":\"failed\",\"error\":{\"code\":\"deadline_exceeded\","
                          + "\"message\":\"task t_1 passed its deadline 2026-03-01T11:59:59.999Z"
                          + " (now 2026-03-01T12:00:00Z); not attempted\",\"retryable\":false}}");
            });
    assertThat(commits).containsExactly(Map.of(TASKS, new OffsetAndMetadata(1)));
  }

  /**
   * A task published just before its deadline, whose outcome was lost (crash before the commit), is
   * redelivered after the deadline: it must report the post that exists, not a failure.
   */
  @Test
  void redeliveredTaskPastItsDeadlineReportsThePostTheSandboxAlreadyAccepted() {
    PublishTask task = task("t_1", NOW.minusSeconds(1));
    String postId = sandbox.publish(task).postId();
    consumer.addRecord(record(0, "acc_1", Json.write(task)));

    publisher.pollOnce(Duration.ZERO);

    assertThat(SandboxPlatform.readPosts(sandboxDir)).hasSize(1);
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            outcome ->
                assertThat(utf8(outcome.value()))
                    .contains("\"status\":\"published\"", "\"postId\":\"" + postId + "\"")
                    .doesNotContain("error"));
  }

  @Test
  void taskDueExactlyAtItsDeadlineStillPublishes() {
    consumer.addRecord(record(0, "acc_1", Json.write(task("t_1", NOW))));

    publisher.pollOnce(Duration.ZERO);

    assertThat(SandboxPlatform.readPosts(sandboxDir)).hasSize(1);
    assertThat(utf8(producer.history().get(0).value())).contains("\"status\":\"published\"");
  }

  @Test
  void malformedTaskGoesToDeadLettersAndTheNextTaskStillPublishes() {
    byte[] garbage = "{not json".getBytes(StandardCharsets.UTF_8);
    RecordHeaders headers = new RecordHeaders();
    headers.add("trace", utf8Bytes("abc"));
    consumer.addRecord(
        new ConsumerRecord<>(
            TASKS.topic(),
            0,
            0,
            0L,
            TimestampType.CREATE_TIME,
            0,
            0,
            "acc_1",
            garbage,
            headers,
            Optional.empty()));
    consumer.addRecord(record(1, "acc_2", Json.write(task("t_2", NOW.plusSeconds(60)))));

    assertThat(publisher.pollOnce(Duration.ZERO)).isEqualTo(2);

    assertThat(producer.history()).hasSize(2);
    ProducerRecord<String, byte[]> dead = producer.history().get(0);
    assertThat(dead.topic()).isEqualTo("t.dead-letters");
    assertThat(dead.key()).isEqualTo("acc_1");
    assertThat(dead.value()).isEqualTo(garbage);
    assertThat(header(dead, "trace")).isEqualTo("abc");
    assertThat(header(dead, LmpHeaders.ERROR_CODE)).isEqualTo("malformed_task");
    assertThat(header(dead, LmpHeaders.ERROR_MESSAGE)).contains("not a valid PublishTask");
    assertThat(header(dead, LmpHeaders.ERROR_TOPIC)).isEqualTo("t.publish.sandbox");
    assertThat(header(dead, LmpHeaders.ERROR_PARTITION)).isEqualTo("0");
    assertThat(header(dead, LmpHeaders.ERROR_OFFSET)).isEqualTo("0");

    ProducerRecord<String, byte[]> outcome = producer.history().get(1);
    assertThat(outcome.topic()).isEqualTo("t.target-outcomes");
    assertThat(utf8(outcome.value())).contains("\"taskId\":\"t_2\"", "\"status\":\"published\"");
    assertThat(SandboxPlatform.readPosts(sandboxDir))
        .extracting(AcceptedPost::taskId)
        .containsExactly("t_2");
    assertThat(commits).containsExactly(Map.of(TASKS, new OffsetAndMetadata(2)));
  }

  @Test
  void taskMissingARequiredFieldIsDeadLetteredNamingTheField() {
    String noTaskId =
        "{\"batchId\":\"batch_1\",\"fingerprint\":\"fp_1\",\"recordedAt\":1,\"targetIndex\":0,"
            + "\"accountId\":\"acc_1\",\"platform\":\"sandbox\",\"platformIdempotencyKey\":\"k\","
            + "\"deadline\":1}";
    consumer.addRecord(record(0, "acc_1", utf8Bytes(noTaskId)));
    consumer.addRecord(record(1, "acc_1", null));

    publisher.pollOnce(Duration.ZERO);

    assertThat(producer.history())
        .extracting(ProducerRecord::topic)
        .containsExactly("t.dead-letters", "t.dead-letters");
    assertThat(header(producer.history().get(0), LmpHeaders.ERROR_MESSAGE)).contains("taskId");
    assertThat(header(producer.history().get(1), LmpHeaders.ERROR_MESSAGE)).contains("null");
    assertThat(header(producer.history().get(1), LmpHeaders.ERROR_OFFSET)).isEqualTo("1");
    assertThat(SandboxPlatform.readPosts(sandboxDir)).isEmpty();
  }

  @Test
  void offsetsAreCommittedOnlyAfterTheOutcomesAreSentAndFlushed() {
    consumer.addRecord(record(0, "acc_1", Json.write(task("t_1", NOW.plusSeconds(60)))));
    consumer.addRecord(record(1, "acc_1", Json.write(task("t_2", NOW.plusSeconds(60)))));

    publisher.pollOnce(Duration.ZERO);

    assertThat(commits).containsExactly(Map.of(TASKS, new OffsetAndMetadata(2)));
    assertThat(sentAtCommit).containsExactly(2);
    assertThat(flushedAtCommit).containsExactly(true);
    assertThat(consumer.committed(Set.of(TASKS))).containsEntry(TASKS, new OffsetAndMetadata(2));
  }

  /**
   * The outcome of a task the sandbox accepted could not be sent: nothing may be committed, and the
   * redelivered task must answer the same post rather than publish a second one.
   */
  @Test
  void outcomeThatCannotBeSentIsNotCommittedAndTheRetryPublishesNothingNew() {
    byte[] task = Json.write(task("t_1", NOW.plusSeconds(60)));
    consumer.addRecord(record(0, "acc_1", task));
    producer.sendException = new KafkaException("broker gone");

    assertThat(publisher.pollOnce(Duration.ZERO)).isZero();

    assertThat(commits).isEmpty();
    assertThat(consumer.position(TASKS)).isZero();
    assertThat(SandboxPlatform.readPosts(sandboxDir)).hasSize(1);

    producer.sendException = null;
    consumer.addRecord(record(0, "acc_1", task));
    publisher.pollOnce(Duration.ZERO);

    List<AcceptedPost> posts = SandboxPlatform.readPosts(sandboxDir);
    assertThat(posts).hasSize(1);
    assertThat(producer.history())
        .singleElement()
        .satisfies(
            outcome ->
                assertThat(utf8(outcome.value()))
                    .contains("\"postId\":\"" + posts.get(0).postId() + "\""));
    assertThat(commits).containsExactly(Map.of(TASKS, new OffsetAndMetadata(1)));
  }

  @Test
  void subscribesEveryPlatformTopicUnderOneGroupNamedForTheSortedPlatforms() {
    MockConsumer<String, byte[]> own = new MockConsumer<>("earliest");
    try (MinimalPublisher two =
        new MinimalPublisher(
            TOPICS,
            Set.of(Platform.MASTODON, Platform.BLUESKY),
            new SandboxPlatform(sandboxDir.resolve("two"), CLOCK),
            CLOCK,
            own,
            new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer()))) {
      assertThat(two.groupId()).isEqualTo("t.publisher-bluesky-mastodon");
      assertThat(own.subscription())
          .containsExactlyInAnyOrder("t.publish.bluesky", "t.publish.mastodon");
    }
    assertThat(own.closed()).isTrue();
    assertThatThrownBy(() -> MinimalPublisher.groupId(TOPICS, Set.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void clientsReadCommittedCommitManuallyAndProduceIdempotently() {
    assertThat(MinimalPublisher.consumerConfig("localhost:9092", "g"))
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "g");
    assertThat(MinimalPublisher.producerConfig("localhost:9092"))
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all");
  }

  @Test
  void closeStopsTheRunLoopAndClosesBothClients() throws InterruptedException {
    CountDownLatch polling = new CountDownLatch(1);
    consumer.schedulePollTask(polling::countDown);
    Thread loop = new Thread(publisher, "publisher-under-test");
    loop.start();
    assertThat(polling.await(10, TimeUnit.SECONDS)).isTrue();

    publisher.close();

    loop.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(loop.isAlive()).isFalse();
    assertThat(consumer.closed()).isTrue();
    assertThat(producer.closed()).isTrue();
    assertThatThrownBy(publisher::run).isInstanceOf(IllegalStateException.class);
  }

  private static ConsumerRecord<String, byte[]> record(long offset, String key, byte[] value) {
    return new ConsumerRecord<>(TASKS.topic(), TASKS.partition(), offset, key, value);
  }

  private static PublishTask task(String taskId, Instant deadline) {
    return new PublishTask(
        taskId,
        "batch_1",
        "fp_1",
        NOW.toEpochMilli(),
        2,
        "acc_1",
        "sandbox",
        "pik_" + taskId,
        "hello",
        null,
        null,
        deadline.toEpochMilli());
  }

  private static String header(ProducerRecord<String, byte[]> record, String key) {
    Header header = record.headers().lastHeader(key);
    assertThat(header).as("header %s", key).isNotNull();
    return utf8(header.value());
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static byte[] utf8Bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}

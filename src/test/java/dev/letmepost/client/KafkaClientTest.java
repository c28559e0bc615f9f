package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The Kafka client on a mock producer and mock consumers: sending, awaiting, bounds, restarts. */
class KafkaClientTest {
  private static final TopicNames TOPICS = TopicNames.DEFAULT;
  private static final String ENVELOPE =
      "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"published\","
          + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"results\":[]}";
  private static final Post POST = Post.builder().account("acc_1").text("shipped").build();
  private static final Duration LONG = Duration.ofSeconds(30);

  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

  private KafkaClient client(int maxWaiters, MockConsumer<String, byte[]> consumer) {
    LinkedBlockingQueue<MockConsumer<String, byte[]>> queue =
        new LinkedBlockingQueue<>(List.of(consumer));
    return new KafkaClient(
        new CommandProducer(producer, TOPICS.commands()),
        new ResultsReader(
            "results",
            TOPICS.results(),
            queue::poll,
            maxWaiters,
            Backoff.DEFAULT,
            new MockReaders.GatedSleeper()));
  }

  private static MockConsumer<String, byte[]> results() {
    return MockReaders.consumer(TOPICS.results(), 3);
  }

  static ConsumerRecord<String, byte[]> answer(long offset, String requestId, String status) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(Headers.REQUEST_ID, utf8(requestId));
    headers.add(Headers.STATUS, utf8(status));
    headers.add(Headers.REPLAYED, utf8("false"));
    headers.add(Headers.IDEMPOTENCY_KEY, utf8("K-1"));
    headers.add(Headers.BATCH_ID, utf8("batch_1"));
    headers.add(Headers.KEY_EXPIRES, utf8("2026-11-30T12:00:00.000Z"));
    return new ConsumerRecord<>(
        TOPICS.results(),
        0,
        offset,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        requestId,
        utf8(ENVELOPE),
        headers,
        Optional.empty());
  }

  @Test
  void aCommandGoesOutKeyedByItsFingerprintAndItsAnswerComesBackByRequestId() throws Exception {
    MockConsumer<String, byte[]> results = results();
    try (KafkaClient client = client(10, results)) {
      assertThat(results.position(new TopicPartition(TOPICS.results(), 0)))
          .as("answers are read from the end")
          .isEqualTo(3);
      Command command = new Command("key_alice", "K-1", "req-1", Request.post(POST));
      CompletableFuture<Answer> answer = client.submit(command, LONG);

      ProducerRecord<byte[], byte[]> sent = producer.history().get(0);
      assertThat(sent.topic()).isEqualTo("lmp.post-commands");
      assertThat(new String(sent.key(), StandardCharsets.UTF_8)).isEqualTo(command.fingerprint());
      assertThat(sent.value()).isEqualTo(POST.toJson());

      results.schedulePollTask(
          () -> {
            results.addRecord(answer(3, "req-other", "409"));
            results.addRecord(answer(4, "req-1", "201"));
          });
      Answer a = answer.get(10, TimeUnit.SECONDS);
      assertThat(a)
          .isEqualTo(
              new Answer(
                  "req-1",
                  201,
                  false,
                  "K-1",
                  "batch_1",
                  "2026-11-30T12:00:00.000Z",
                  utf8(ENVELOPE)));
      assertThat(a.envelope().orElseThrow().id()).isEqualTo("batch_1");
      await().atMost(Duration.ofSeconds(5)).until(() -> client.waiting() == 0);
    }
  }

  @Test
  void noAnswerWithinTheDeadlineIsATimeoutNamingTheRequestAndTheWaiterLeaves() throws Exception {
    try (KafkaClient client = client(10, results())) {
      Command command = new Command("key_alice", "K-1", "req-late", Request.post(POST));
      assertThatThrownBy(() -> client.call(command, Duration.ofMillis(200)))
          .isInstanceOf(TimeoutException.class)
          .hasMessageContaining("no answer to request req-late within PT0.2S")
          .hasMessageContaining("same idempotency key");
      assertThat(client.waiting()).isZero();
    }
  }

  @Test
  void pastItsBoundOfWaitersACallIsRefusedAtOnceAndASlotComesBackWhenAWaiterLeaves()
      throws Exception {
    try (KafkaClient client = client(1, results())) {
      CompletableFuture<Answer> first =
          client.submit(new Command("p", null, "req-1", Request.post(POST)), LONG);
      assertThatThrownBy(
              () -> client.submit(new Command("p", null, "req-2", Request.post(POST)), LONG))
          .isInstanceOf(RejectedExecutionException.class)
          .hasMessageContaining("already 1 answers awaited");
      assertThat(producer.history()).as("nothing sent past the bound").hasSize(1);
      first.cancel(false);
      client.submit(new Command("p", null, "req-2", Request.post(POST)), LONG).cancel(false);
      assertThat(producer.history()).hasSize(2);
    }
  }

  @Test
  void aRequestIdAwaitedTwiceIsRefused() {
    try (KafkaClient client = client(10, results())) {
      client.submit(new Command("p", null, "req-1", Request.post(POST)), LONG);
      assertThatThrownBy(
              () -> client.submit(new Command("p", null, "req-1", Request.post(POST)), LONG))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("req-1");
    }
  }

  @Test
  void aSendThatFailsFailsTheCallAndTheWaiterLeaves() throws Exception {
    MockProducer<byte[], byte[]> failing =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    try (KafkaClient client =
        new KafkaClient(
            new CommandProducer(failing, TOPICS.commands()),
            new ResultsReader(
                "results",
                TOPICS.results(),
                KafkaClientTest::results,
                10,
                Backoff.DEFAULT,
                new MockReaders.GatedSleeper()))) {
      CompletableFuture<Answer> answer =
          client.submit(new Command("p", "K", "req-1", Request.post(POST)), LONG);
      failing.errorNext(new RecordTooLargeException("too large"));
      assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(RecordTooLargeException.class);
      assertThat(client.waiting()).isZero();
    }
  }

  @Test
  void aProducerThatThrowsAtOnceFailsTheCallWithItsError() {
    producer.close();
    try (KafkaClient client = client(10, results())) {
      assertThatThrownBy(
              () -> client.call(new Command("p", "K", "req-1", Request.post(POST)), LONG))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThat(client.waiting()).isZero();
    }
  }

  /**
   * The results reader ended on a {@code SaslAuthenticationException} (a credential rotation). It
   * is restarted at the position it had read, so the answer written while it was down still reaches
   * its waiter, and {@link KafkaClient#problem()} names it in between.
   */
  @Test
  void aReaderThatFailsIsRestartedAndStillDeliversTheAnswerWrittenMeanwhile() throws Exception {
    MockConsumer<String, byte[]> first = results();
    MockConsumer<String, byte[]> second = results();
    second.schedulePollTask(() -> second.addRecord(answer(3, "req-waiting", "201")));
    MockReaders.GatedSleeper sleeper = new MockReaders.GatedSleeper();
    LinkedBlockingQueue<MockConsumer<String, byte[]>> queue =
        new LinkedBlockingQueue<>(List.of(first, second));
    try (KafkaClient client =
        new KafkaClient(
            new CommandProducer(producer, TOPICS.commands()),
            new ResultsReader(
                TOPICS.results() + " reader",
                TOPICS.results(),
                queue::poll,
                10,
                Backoff.DEFAULT,
                sleeper))) {
      CompletableFuture<Answer> waiting =
          client.submit(new Command("p", "K", "req-waiting", Request.post(POST)), LONG);
      first.setPollException(new SaslAuthenticationException("credentials rotated"));
      await().atMost(Duration.ofSeconds(10)).until(() -> client.problem().isPresent());
      assertThat(client.problem().get())
          .startsWith("reader lmp.post-results reader is down, restarting: ")
          .contains("SaslAuthenticationException: credentials rotated");
      assertThat(waiting).isNotDone();

      sleeper.release();
      assertThat(waiting.get(10, TimeUnit.SECONDS).status()).isEqualTo(201);
      assertThat(second.position(new TopicPartition(TOPICS.results(), 0))).isEqualTo(4);
      await().atMost(Duration.ofSeconds(10)).until(() -> client.problem().isEmpty());
    }
  }

  @Test
  void aMissingResultsTopicFailsTheClientAtOnce() {
    MockConsumer<String, byte[]> none = MockReaders.consumer("other-topic", 0);
    assertThatThrownBy(
            () ->
                new ResultsReader(
                    "results",
                    TOPICS.results(),
                    () -> none,
                    10,
                    Backoff.DEFAULT,
                    new MockReaders.GatedSleeper()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("topic lmp.post-results does not exist");
    assertThat(none.closed()).isTrue();
  }

  @Test
  void closingCancelsEveryWaiter() {
    KafkaClient client = client(10, results());
    CompletableFuture<Answer> answer =
        client.submit(new Command("p", "K", "req-1", Request.post(POST)), LONG);
    client.close();
    assertThat(answer).isCancelled();
    assertThatThrownBy(answer::join).isInstanceOf(CancellationException.class);
    assertThat(producer.closed()).isTrue();
  }

  @Test
  void theProducerIsIdempotentWithAcksAllAndTheReaderReadCommitted() {
    Map<String, Object> p =
        KafkaConfigs.producer(Map.of("bootstrap.servers", "k1:9092", "linger.ms", 5));
    assertThat(p)
        .containsEntry("enable.idempotence", true)
        .containsEntry("acks", "all")
        .containsEntry("linger.ms", 5)
        .containsEntry("max.request.size", dev.letmepost.command.Limits.MAX_REQUEST_SIZE)
        .containsEntry("bootstrap.servers", "k1:9092");
    assertThat(
            KafkaConfigs.reader(Map.of("bootstrap.servers", "k1:9092", "security.protocol", "SSL")))
        .containsEntry("isolation.level", "read_committed")
        .containsEntry("enable.auto.commit", false)
        .containsEntry("security.protocol", "SSL");
  }

  @Test
  void aSettingThatBreaksTheClientsGuaranteesIsRefusedNamingIt() {
    assertThatThrownBy(() -> KafkaConfigs.producer(Map.of("bootstrap.servers", "k:1", "acks", "1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Kafka setting acks=1 cannot be given: the client's guarantees need acks=all");
    assertThatThrownBy(
            () ->
                KafkaConfigs.reader(
                    Map.of("bootstrap.servers", "k:1", "isolation.level", "read_uncommitted")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("isolation.level=read_uncommitted");
    assertThatThrownBy(
            () -> KafkaConfigs.reader(Map.of("bootstrap.servers", "k:1", "group.id", "g")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("group.id");
    assertThatThrownBy(
            () -> KafkaConfigs.producer(Map.of("bootstrap.servers", "k:1", "key.serializer", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("key.serializer");
    assertThatThrownBy(() -> KafkaConfigs.producer(Map.of("linger.ms", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the Kafka settings need bootstrap.servers");
    assertThat(
            KafkaConfigs.producer(
                Map.of("bootstrap.servers", "k:1", "acks", "all", "enable.idempotence", "true")))
        .containsEntry("acks", "all");
  }

  @Test
  void topicNamesFollowTheServersPrefix() {
    assertThat(TopicNames.DEFAULT)
        .isEqualTo(new TopicNames("lmp.post-commands", "lmp.post-results", "lmp.post-events"));
    dev.letmepost.wire.Topics server = new dev.letmepost.wire.Topics("acme.");
    assertThat(TopicNames.withPrefix("acme."))
        .isEqualTo(
            new TopicNames(
                server.commands().name(), server.results().name(), server.events().name()));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

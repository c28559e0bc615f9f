package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's Kafka side on mock clients: journal before call, outcome with tombstone, recovery by
 * reconciliation, accounts and credentials, malformed tasks, and per-account lanes.
 */
class PublisherWorkerTest {
  static final Topics TOPICS = Topics.defaults();
  static final Platform PLATFORM = Platform.MASTODON;
  static final String TASKS = TOPICS.publish(PLATFORM).name();
  static final String JOURNAL = TOPICS.journal(PLATFORM).name();
  static final String SECRET = "tok-very-secret-123";

  final Map<String, Account> accounts = new ConcurrentHashMap<>();
  final MockConsumer<String, byte[]> consumer = new MockConsumer<>("earliest");
  final MockProducer<String, byte[]> producer =
      new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
  final List<ConsumerRecord<String, byte[]>> journal = new CopyOnWriteArrayList<>();
  final FakeConnector connector = new FakeConnector();
  PublisherWorker worker;
  Thread thread;

  /** A connector that answers by script and records every call with the producer's state then. */
  final class FakeConnector implements Connector {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Integer> journalEntriesAtCall = new CopyOnWriteArrayList<>();
    final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();
    volatile CallResult publishAnswer = new CallResult.Published("post-1", "https://m/1");
    volatile CallResult reconcileAnswer = new CallResult.Published("post-0", "https://m/0");

    @Override
    public Platform platform() {
      return PLATFORM;
    }

    @Override
    public CallResult publish(PublishTask task, AccountAccess account) {
      record("publish", task, account);
      return publishAnswer;
    }

    @Override
    public CallResult reconcile(PublishTask task, AccountAccess account) {
      record("reconcile", task, account);
      return reconcileAnswer;
    }

    private void record(String what, PublishTask task, AccountAccess account) {
      assertThat(account.secretValue()).isEqualTo(SECRET);
      journalEntriesAtCall.add(
          (int)
              producer.history().stream()
                  .filter(r -> r.topic().equals(JOURNAL) && r.value() != null)
                  .count());
      calls.add(what + ":" + task.taskId());
      CountDownLatch hold = holds.get(task.accountId());
      if (hold != null) {
        try {
          hold.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  static PublishTask task(String id, String account) {
    long now = Instant.now().toEpochMilli();
    return new PublishTask(
        id,
        "batch_" + id,
        "fp_" + id,
        now,
        0,
        account,
        "key_alice",
        PLATFORM.wireName(),
        "pik_" + id,
        "hello",
        List.of(),
        null,
        now + 60_000);
  }

  void addAccount(String id, Account.Status status, String credentials) {
    accounts.put(
        id, new Account(id, "key_alice", "mastodon", "@a", status, credentials, false, null));
  }

  void start() {
    PublisherConfig config =
        PublisherConfig.defaults(TOPICS, PLATFORM, "test")
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(10));
    worker =
        new PublisherWorker(
            config,
            connector,
            id -> Optional.ofNullable(accounts.get(id)),
            new Credentials(name -> name.equals("TOKEN") ? SECRET : null),
            Clock.systemUTC(),
            consumer,
            producer,
            () -> new JournalReader(journal));
    thread = new Thread(worker, "worker-under-test");
    thread.start();
    TopicPartition p0 = new TopicPartition(TASKS, 0);
    TopicPartition p1 = new TopicPartition(TASKS, 1);
    consumer.updateBeginningOffsets(Map.of(p0, 0L, p1, 0L));
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(p0, p1)));
  }

  void deliver(int partition, long offset, PublishTask task) {
    deliverRaw(partition, offset, task.accountId(), Json.write(task));
  }

  void deliverRaw(int partition, long offset, String key, byte[] value) {
    consumer.schedulePollTask(
        () -> consumer.addRecord(new ConsumerRecord<>(TASKS, partition, offset, key, value)));
  }

  List<TargetOutcome> outcomes() {
    return producer.history().stream()
        .filter(r -> r.topic().equals(TOPICS.outcomes().name()))
        .map(r -> Json.read(r.value(), TargetOutcome.class))
        .toList();
  }

  List<ProducerRecord<String, byte[]>> journalWrites() {
    return producer.history().stream().filter(r -> r.topic().equals(JOURNAL)).toList();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (worker != null) {
      worker.close();
      thread.join(10_000);
    }
  }

  @Test
  void journalsTheAttemptWithItsOffsetBeforeCallingAndAnswersWithATombstone() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    start();
    deliver(1, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);

    assertThat(connector.calls).containsExactly("publish:t1");
    assertThat(connector.journalEntriesAtCall).containsExactly(1);
    List<ProducerRecord<String, byte[]>> writes = journalWrites();
    assertThat(writes).hasSize(2);
    assertThat(writes.get(0).partition()).isEqualTo(1);
    assertThat(writes.get(0).key()).isEqualTo("t1");
    JournalEntry entry = Json.read(writes.get(0).value(), JournalEntry.class);
    assertThat(entry.task().taskId()).isEqualTo("t1");
    assertThat(entry.holder()).isEqualTo("lmp.publisher-mastodon-test");
    assertThat(entry.mayHaveReachedPlatform()).isTrue();
    assertThat(writes.get(1).value()).as("tombstone once answered").isNull();
    assertThat(writes.get(1).partition()).isEqualTo(1);
    assertThat(producer.consumerGroupOffsetsHistory())
        .anySatisfy(
            m ->
                assertThat(m.values().iterator().next()).containsKey(new TopicPartition(TASKS, 1)));
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
    assertThat(outcomes().get(0).postId()).isEqualTo("post-1");
  }

  @Test
  void aJournaledAttemptWithoutOutcomeIsReconciledNeverPublished() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    PublishTask orphan = task("t-orphan", "acc_1");
    journal.add(
        new ConsumerRecord<>(
            JOURNAL,
            0,
            0,
            orphan.taskId(),
            Json.write(new JournalEntry(orphan, true, "w0", 1L, 1L))));
    PublishTask done = task("t-done", "acc_1");
    journal.add(
        new ConsumerRecord<>(
            JOURNAL, 0, 1, done.taskId(), Json.write(new JournalEntry(done, true, "w0", 1L, 1L))));
    journal.add(new ConsumerRecord<>(JOURNAL, 0, 2, done.taskId(), null));
    connector.reconcileAnswer = new CallResult.Published("post-0", "https://m/0");

    start();

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("reconcile:t-orphan");
    assertThat(outcomes().get(0).postId()).isEqualTo("post-0");
  }

  @Test
  void anAttemptHandedOverBeforeAnyCallIsPublishedByTheNextOwner() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    PublishTask handed = task("t-handed", "acc_1");
    journal.add(
        new ConsumerRecord<>(
            JOURNAL,
            1,
            0,
            handed.taskId(),
            Json.write(new JournalEntry(handed, false, "w0", 1L, null))));

    start();

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("publish:t-handed");
  }

  @Test
  void aDisconnectedAccountFailsWithoutAnyCall() {
    addAccount("acc_off", Account.Status.disconnected, "env:TOKEN");
    start();
    deliver(0, 0, task("t1", "acc_off"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).isEmpty();
    assertThat(outcomes().get(0).error().code()).isEqualTo("account_disconnected");
  }

  @Test
  void unsetCredentialsFailAsDisconnectedNamingOnlyTheReference() {
    addAccount("acc_1", Account.Status.connected, "env:NOT_SET");
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo("account_disconnected");
    assertThat(o.error().message()).contains("env:NOT_SET");
    assertThat(connector.calls).isEmpty();
  }

  @Test
  void aRemovedAccountFailsAsNotFound() {
    start();
    deliver(0, 0, task("t1", "acc_gone"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(outcomes().get(0).error().code()).isEqualTo("account_not_found");
  }

  @Test
  void aMalformedTaskIsDeadLetteredAndTheNextOneStillPublished() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    start();
    deliverRaw(0, 0, "acc_1", "{not json".getBytes(StandardCharsets.UTF_8));
    deliver(0, 1, task("t2", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    List<ProducerRecord<String, byte[]>> dead =
        producer.history().stream()
            .filter(r -> r.topic().equals(TOPICS.deadLetters().name()))
            .toList();
    assertThat(dead).hasSize(1);
    assertThat(new String(dead.get(0).headers().lastHeader(LmpHeaders.ERROR_CODE).value()))
        .isEqualTo("malformed_task");
    assertThat(connector.calls).containsExactly("publish:t2");
  }

  @Test
  void aSlowAccountDoesNotHoldUpAnotherAccount() {
    addAccount("acc_slow", Account.Status.connected, "env:TOKEN");
    addAccount("acc_fast", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_slow", release);
    start();
    deliver(0, 0, task("slow-1", "acc_slow"));
    deliver(0, 1, task("slow-2", "acc_slow"));
    deliver(1, 0, task("fast-1", "acc_fast"));
    deliver(1, 1, task("fast-2", "acc_fast"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 2);
    assertThat(outcomes()).extracting(TargetOutcome::taskId).containsExactly("fast-1", "fast-2");
    assertThat(connector.calls).doesNotContain("publish:slow-2");

    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 4);
  }

  @Test
  void aRateLimitedAccountWaitsWhileAnotherAccountPublishes() {
    addAccount("acc_limited", Account.Status.connected, "env:TOKEN");
    addAccount("acc_free", Account.Status.connected, "env:TOKEN");
    start();
    connector.publishAnswer = new CallResult.NotSent("rate_limited", "429", Duration.ofSeconds(30));
    deliver(0, 0, task("limited", "acc_limited"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);
    connector.publishAnswer = new CallResult.Published("p", null);
    deliver(1, 0, task("free", "acc_free"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(outcomes().get(0).taskId()).isEqualTo("free");
    assertThat(worker.outcomesWritten()).isEqualTo(1);
    assertThat(connector.calls).containsExactly("publish:limited", "publish:free");
  }

  @Test
  void theSecretAppearsInNoTopicRecordAndNoLogLine() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Logger ours =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.letmepost");
    ch.qos.logback.classic.Level before = ours.getLevel();
    ours.setLevel(ch.qos.logback.classic.Level.DEBUG);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
        new ch.qos.logback.core.read.ListAppender<>();
    logs.start();
    root.addAppender(logs);
    try {
      addAccount("acc_1", Account.Status.connected, "env:TOKEN");
      connector.publishAnswer = new CallResult.Unclear("platform_timeout", "no answer");
      connector.reconcileAnswer = new CallResult.Unknown("cannot look it up");
      start();
      deliver(0, 0, task("t1", "acc_1"));

      await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
      assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.unknown);
      assertThat(producer.history())
          .allSatisfy(
              r ->
                  assertThat(r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8))
                      .doesNotContain(SECRET));
      assertThat(logs.list).isNotEmpty();
      assertThat(logs.list)
          .allSatisfy(
              e -> {
                assertThat(e.getFormattedMessage()).doesNotContain(SECRET);
                if (e.getThrowableProxy() != null) {
                  assertThat(e.getThrowableProxy().getMessage()).doesNotContain(SECRET);
                }
              });
    } finally {
      root.detachAppender(logs);
      ours.setLevel(before);
    }
  }

  /** A journal partition reader over a fixed list of journal records. */
  static final class JournalReader extends MockConsumer<String, byte[]> {
    private final List<ConsumerRecord<String, byte[]>> records;

    JournalReader(List<ConsumerRecord<String, byte[]>> records) {
      super("earliest");
      this.records = records;
    }

    @Override
    public synchronized void assign(Collection<TopicPartition> partitions) {
      super.assign(partitions);
      Map<TopicPartition, Long> zero = new java.util.HashMap<>();
      Map<TopicPartition, Long> end = new java.util.HashMap<>();
      for (TopicPartition p : partitions) {
        zero.put(p, 0L);
        end.put(p, records.stream().filter(r -> r.partition() == p.partition()).count());
      }
      updateBeginningOffsets(zero);
      updateEndOffsets(end);
      for (ConsumerRecord<String, byte[]> r : records) {
        if (partitions.contains(new TopicPartition(r.topic(), r.partition()))) {
          addRecord(r);
        }
      }
    }
  }
}

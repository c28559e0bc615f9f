package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.testing.MutableClock;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Backoff;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.ReaderLoop;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
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
  final MutableClock clock = new MutableClock(Instant.now());
  final VirtualTimeScheduler scheduler = new VirtualTimeScheduler(clock);
  final StrictProducer producer = new StrictProducer();
  final List<StrictProducer> producers = new CopyOnWriteArrayList<>();
  final List<ConsumerRecord<String, byte[]>> journal = new CopyOnWriteArrayList<>();
  final AtomicInteger journalReads = new AtomicInteger();
  final FakeConnector connector = new FakeConnector();
  Function<String, Optional<Account>> accountBook = id -> Optional.ofNullable(accounts.get(id));
  Runnable newProducerHook = () -> {};
  Backoff restartBackoff = Backoff.DEFAULT;
  ReaderLoop.Sleeper sleeper = null;
  Supplier<Consumer<String, byte[]>> journalReaders = () -> new JournalReader(journal);
  PublisherWorker worker;
  Thread thread;

  /**
   * A MockProducer that keeps KafkaProducer's rule after a commit timeout (only commitTransaction
   * may follow; anything else throws IllegalStateException and is recorded), and fails the commits
   * of transactions that hold an outcome, or the sending of offsets, on demand.
   */
  static final class StrictProducer extends MockProducer<String, byte[]> {
    final Deque<RuntimeException> outcomeCommitFailures = new ConcurrentLinkedDeque<>();
    final Deque<RuntimeException> journalCommitFailures = new ConcurrentLinkedDeque<>();
    final List<ProducerRecord<String, byte[]>> lastFailedCommit = new CopyOnWriteArrayList<>();
    final List<String> illegalCalls = new CopyOnWriteArrayList<>();
    final AtomicInteger aborts = new AtomicInteger();
    volatile RuntimeException everyOutcomeCommitFailure;
    volatile RuntimeException sendOffsetsFailure;
    private boolean commitPending;

    StrictProducer() {
      super(true, null, new StringSerializer(), new ByteArraySerializer());
    }

    private void checkNoPendingCommit(String operation) {
      if (commitPending) {
        illegalCalls.add(operation);
        throw new IllegalStateException(
            "Cannot attempt operation `"
                + operation
                + "` because the previous call to `commitTransaction` timed out and must be"
                + " retried");
      }
    }

    @Override
    public synchronized void beginTransaction() {
      checkNoPendingCommit("beginTransaction");
      super.beginTransaction();
    }

    @Override
    public synchronized void abortTransaction() {
      checkNoPendingCommit("abortTransaction");
      aborts.incrementAndGet();
      super.abortTransaction();
    }

    @Override
    public synchronized Future<RecordMetadata> send(
        ProducerRecord<String, byte[]> record, Callback callback) {
      checkNoPendingCommit("send");
      return super.send(record, callback);
    }

    @Override
    public synchronized void sendOffsetsToTransaction(
        Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata metadata) {
      checkNoPendingCommit("sendOffsetsToTransaction");
      RuntimeException failure = sendOffsetsFailure;
      if (failure != null) {
        throw failure;
      }
      super.sendOffsetsToTransaction(offsets, metadata);
    }

    @Override
    public synchronized void commitTransaction() {
      boolean holdsOutcome =
          uncommittedRecords().stream().anyMatch(r -> r.topic().equals(TOPICS.outcomes().name()));
      boolean holdsAttempt =
          uncommittedRecords().stream()
              .anyMatch(r -> r.topic().equals(JOURNAL) && r.value() != null);
      RuntimeException failure =
          holdsOutcome
              ? outcomeCommitFailures.poll()
              : holdsAttempt ? journalCommitFailures.poll() : null;
      if (failure == null && holdsOutcome) {
        failure = everyOutcomeCommitFailure;
      }
      if (failure != null) {
        lastFailedCommit.clear();
        lastFailedCommit.addAll(uncommittedRecords());
        commitPending = failure instanceof TimeoutException;
        throw failure;
      }
      commitPending = false;
      super.commitTransaction();
    }
  }

  /** Every record committed by any of the worker's producers, in order of the producers. */
  List<ProducerRecord<String, byte[]>> history() {
    return producers.stream().flatMap(p -> p.history().stream()).toList();
  }

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
              history().stream()
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

  PublishTask task(String id, String account) {
    long now = clock.millis();
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
            accountBook,
            new Credentials(name -> name.equals("TOKEN") ? SECRET : null),
            clock,
            consumer,
            () -> {
              StrictProducer p = producers.isEmpty() ? producer : new StrictProducer();
              producers.add(p);
              newProducerHook.run();
              return p;
            },
            () -> {
              journalReads.incrementAndGet();
              return journalReaders.get();
            },
            scheduler,
            restartBackoff,
            sleeper);
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
    return history().stream()
        .filter(r -> r.topic().equals(TOPICS.outcomes().name()))
        .map(r -> Json.read(r.value(), TargetOutcome.class))
        .toList();
  }

  List<ProducerRecord<String, byte[]>> journalWrites() {
    return history().stream().filter(r -> r.topic().equals(JOURNAL)).toList();
  }

  /** The clock step of {@link #awaitWhileTimePasses}: the test's backoff base. */
  static final Duration STEP = Duration.ofMillis(10);

  /**
   * Awaits {@code done} while time passes: between two looks the test moves the clock by {@link
   * #STEP}, so backoffs and rechecks come due on the clock, not after real waits.
   */
  void awaitWhileTimePasses(Callable<Boolean> done) {
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> {
              if (done.call()) {
                return true;
              }
              clock.advance(STEP);
              return false;
            });
  }

  @AfterEach
  void stop() throws InterruptedException {
    // A graceful stop waits for calls in progress (up to the hand-over wait): end the held ones.
    connector.holds.values().forEach(CountDownLatch::countDown);
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
            Json.write(new JournalEntry(orphan, true, "w0", 1L, 1L, false))));
    PublishTask done = task("t-done", "acc_1");
    journal.add(
        new ConsumerRecord<>(
            JOURNAL,
            0,
            1,
            done.taskId(),
            Json.write(new JournalEntry(done, true, "w0", 1L, 1L, false))));
    journal.add(new ConsumerRecord<>(JOURNAL, 0, 2, done.taskId(), null));
    connector.reconcileAnswer = new CallResult.Published("post-0", "https://m/0");

    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.deferredForPreviousOwner() > 0);
    clock.advance(PublisherWorker.LEASE.plus(worker.callTimeout()));

    // The lease from the assignment ran out with the jump; its renewal is rechecked in time.
    awaitWhileTimePasses(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("reconcile:t-orphan");
    assertThat(outcomes().get(0).postId()).isEqualTo("post-0");
  }

  @Test
  void anAttemptHandedOverBeforeAnyCallIsPublishedByTheNextOwnerAtOnce() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    PublishTask handed = task("t-handed", "acc_1");
    journal.add(
        new ConsumerRecord<>(
            JOURNAL,
            1,
            0,
            handed.taskId(),
            Json.write(new JournalEntry(handed, false, "w0", 1L, null, true))));

    start();

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("publish:t-handed");
    assertThat(worker.deferredForPreviousOwner()).isZero();
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

  /**
   * Broke: the outcome's message named the operator's credential reference ({@code env:NOT_SET}),
   * which the tenant then read in the envelope and events; the log names it, the tenant gets the
   * account and a fixed reason.
   */
  @Test
  void unsetCredentialsFailAsDisconnectedWithoutNamingTheReference() {
    addAccount("acc_1", Account.Status.connected, "env:NOT_SET");
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo("account_disconnected");
    assertThat(o.error().message())
        .isEqualTo(
            "account acc_1: its credentials cannot be read by the publisher (the operator's log"
                + " names the reference); nothing was sent")
        .doesNotContain("env:NOT_SET");
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

      // The reconcile waits the least reconcile wait after the unclear publish.
      awaitWhileTimePasses(() -> outcomes().size() == 1);
      assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.unknown);
      assertThat(history())
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

  /**
   * Regression: the commit of an outcome transaction timed out and the worker then called
   * abortTransaction, which KafkaProducer refuses after a commit timeout; the drained outcome was
   * lost with its local list, and every later beginTransaction threw, so the worker wrote nothing
   * more and the ledger ended the published target {@code unknown}. Interleaving: journal t1
   * (commits) → publish t1 → begin, send outcome, commitTransaction: TimeoutException → [before]
   * abortTransaction: IllegalStateException, outcome dropped → beginTransaction:
   * IllegalStateException on every loop. Now: commitTransaction is retried and commits.
   */
  @Test
  void aCommitTimeoutIsRetriedAsACommitAndNeitherLosesTheOutcomeNorStopsTheWorker() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    producer.outcomeCommitFailures.add(
        new TimeoutException("Timeout expired after 60000ms while awaiting EndTxn(COMMIT)"));
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    deliver(0, 1, task("t2", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 2);

    assertThat(outcomes()).extracting(TargetOutcome::taskId).containsExactly("t1", "t2");
    assertThat(outcomes())
        .extracting(TargetOutcome::status)
        .containsOnly(TargetOutcome.Status.published);
    assertThat(connector.calls).containsExactly("publish:t1", "publish:t2");
    assertThat(producer.illegalCalls).as("calls refused after a commit timeout").isEmpty();
    assertThat(producers).hasSize(1);
  }

  /**
   * A commit that times out on every retry leaves closing the producer as the only option: the
   * worker builds a new one (whose initTransactions settles the old transaction), re-reads the
   * journal, and writes the outcome it kept. Interleaving: publish t1 → outcome commit times out 3
   * times → close producer 1 → producer 2: initTransactions, rewind, journal read → outcome
   * committed by producer 2.
   */
  @Test
  void aCommitThatKeepsTimingOutIsSettledByANewProducerThatStillWritesTheOutcome() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    for (int i = 0; i < 3; i++) {
      producer.outcomeCommitFailures.add(new TimeoutException("EndTxn(COMMIT) timed out"));
    }
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(producers).hasSize(2);
    assertThat(producer.closed()).isTrue();
    assertThat(producer.illegalCalls).isEmpty();
    assertThat(producers.get(1).history())
        .filteredOn(r -> r.topic().equals(TOPICS.outcomes().name()))
        .hasSize(1);
    assertThat(journalReads.get())
        .as("journal read on assignment and after the rebuild")
        .isEqualTo(2);
    assertThat(connector.calls).containsExactly("publish:t1");
  }

  /**
   * A journal commit left in doubt (it timed out 3 times) is settled by the next producer's
   * initTransactions; here it completed, so the journal holds the attempt. The worker knows it
   * never called that task (calls start only after the journal commit), so it publishes it at once
   * instead of waiting out an earlier owner and reconciling. Interleaving: poll t1 → journal t1 +
   * offsets, commitTransaction times out ×3 → close producer 1 → producer 2 (the commit completes)
   * → rewind, journal read: t1 open → publish t1.
   */
  @Test
  void aJournalCommitLeftInDoubtLeavesItsTasksUncalledAndPublishesThemNormally() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    for (int i = 0; i < 3; i++) {
      producer.journalCommitFailures.add(new TimeoutException("EndTxn(COMMIT) timed out"));
    }
    newProducerHook =
        () -> {
          // The new producer's initTransactions completed the commit left in doubt.
          for (ProducerRecord<String, byte[]> r : producer.lastFailedCommit) {
            if (r.topic().equals(JOURNAL)) {
              journal.add(
                  new ConsumerRecord<>(JOURNAL, r.partition(), journal.size(), r.key(), r.value()));
            }
          }
        };
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(producers).hasSize(2);
    assertThat(journal).hasSize(1);
    assertThat(connector.calls).containsExactly("publish:t1");
    assertThat(worker.deferredForPreviousOwner()).isZero();
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
  }

  /**
   * Regression (second post): the set of this worker's uncalled in-doubt attempts outlived the
   * partition and was trusted for another worker's entry. Interleaving: poll t1 (partition 0) →
   * journal t1 + offsets, commitTransaction times out ×3 (the commit completed: t1 journaled by
   * this worker, never called) → producer 2 → every partition revoked before their recovery ends
   * (no other recovery under way) → w2 takes partition 0, reconciles and publishes t1, hands it
   * over after its wait bound: t1 journaled by "w2" as may-have-reached → partition 0 back here →
   * [before] t1 resumed in PUBLISH mode at once: posted a second time → [now] t1 waits out w2's
   * calls, then is reconciled; connector.publish is never called.
   */
  @Test
  void anInDoubtAttemptOfARevokedPartitionIsNotPublishedAgainAfterAnotherWorkerTookItOver() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    for (int i = 0; i < 3; i++) {
      producer.journalCommitFailures.add(new TimeoutException("EndTxn(COMMIT) timed out"));
    }
    newProducerHook =
        () -> {
          if (producers.size() < 2) {
            return;
          }
          for (ProducerRecord<String, byte[]> r : producer.lastFailedCommit) {
            if (r.topic().equals(JOURNAL)) {
              journal.add(
                  new ConsumerRecord<>(JOURNAL, r.partition(), journal.size(), r.key(), r.value()));
            }
          }
          // Revoked in the poll right after the rebuild, before any recovery can end.
          consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
        };
    start();
    PublishTask t1 = task("t1", "acc_1");
    deliver(0, 0, t1);
    await().atMost(Duration.ofSeconds(10)).until(() -> producers.size() == 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.assignment().isEmpty());

    journal.add(
        new ConsumerRecord<>(
            JOURNAL,
            0,
            journal.size(),
            t1.taskId(),
            Json.write(new JournalEntry(t1, true, "w2", clock.millis(), clock.millis(), false))));
    Instant reassignedAt = clock.instant();
    TopicPartition p0 = new TopicPartition(TASKS, 0);
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(p0)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> worker.deferredForPreviousOwner() > 0 || !connector.calls.isEmpty());
    assertThat(connector.calls).as("t1 waits out w2's calls").isEmpty();

    clock.set(reassignedAt.plus(PublisherWorker.LEASE).plus(worker.callTimeout()));
    awaitWhileTimePasses(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("reconcile:t1");
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
  }

  /**
   * Regression: a fatal producer error (here ProducerFencedException from the outcome commit, as
   * after a transaction that outlived transaction.timeout.ms) stopped the worker for good with the
   * outcome of a post it had made unwritten. Interleaving: publish t1 → outcome commit:
   * ProducerFenced → [before] worker stops, t1 ends unknown → [now] close producer 1, producer 2,
   * journal re-read, t1's outcome committed, no second call.
   */
  @Test
  void aFencedProducerIsReplacedTheJournalReadAgainAndTheFinishedOutcomeStillWritten() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    producer.outcomeCommitFailures.add(
        new ProducerFencedException("There is a newer producer with the same transactionalId"));
    start();
    deliver(1, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
    assertThat(producers).hasSize(2);
    assertThat(producer.closed()).isTrue();
    assertThat(journalReads.get()).isEqualTo(2);
    assertThat(connector.calls).containsExactly("publish:t1");

    deliver(1, 1, task("t2", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 2);
  }

  /**
   * Regression (dies unseen): a worker whose producer kept failing fatally returned from run() for
   * good while the process, and its /readyz, stayed green; its platform's tasks never ran again.
   * Interleaving: the transactional id loses its ACL → initTransactions throws
   * TransactionalIdAuthorizationException on every new producer → after MAX_REBUILDS_IN_A_ROW,
   * GiveUp → [before] run() returns, nothing reports it → [now] the worker releases its partitions,
   * problem() names its platform, transactional id and reason while it waits its backoff, and once
   * the ACL is back it runs again and publishes.
   */
  @Test
  void aWorkerWhoseProducerKeepsFailingIsReportedAndRunsAgainOnceTheFaultClears() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    AtomicBoolean aclMissing = new AtomicBoolean(true);
    CountDownLatch restartAllowed = new CountDownLatch(1);
    List<Duration> restartWaits = new CopyOnWriteArrayList<>();
    restartBackoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    sleeper =
        d -> {
          if (worker.problem().isPresent()) {
            restartWaits.add(d);
            restartAllowed.await();
          }
        };
    newProducerHook =
        () -> {
          if (aclMissing.get()) {
            producers.get(producers.size() - 1).initTransactionException =
                new TransactionalIdAuthorizationException("Transactional Id authorization failed.");
          }
        };
    start();

    await().atMost(Duration.ofSeconds(10)).until(() -> !restartWaits.isEmpty());
    assertThat(worker.problem())
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("mastodon")
                    .contains("lmp.publisher-mastodon-test")
                    .contains("TransactionalIdAuthorizationException")
                    .contains("restarting"));
    assertThat(producers).hasSize(Transactions.MAX_REBUILDS_IN_A_ROW + 1);
    assertThat(restartWaits).containsExactly(Duration.ofSeconds(1));

    aclMissing.set(false);
    restartAllowed.countDown();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(worker.problem()).isEmpty();
    assertThat(connector.calls).containsExactly("publish:t1");
  }

  /**
   * Regression (dies unseen): a worker fenced by another process with the same --instance-id
   * returned from run() and nothing reported it. Interleaving: poll t1 → journal transaction:
   * sendOffsetsToTransaction throws FencedInstanceIdException → [before] run() returns silently →
   * [now] problem() says it stopped for good and why; it is not restarted (that would fence the
   * other process in turn).
   */
  @Test
  void aWorkerFencedByAnotherWithTheSameInstanceIdIsReportedAndNotRestarted() throws Exception {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    List<Duration> waits = new CopyOnWriteArrayList<>();
    sleeper = waits::add;
    producer.sendOffsetsFailure =
        new FencedInstanceIdException("The broker rejected this static consumer");
    start();
    deliver(0, 0, task("t1", "acc_1"));

    thread.join(10_000);
    assertThat(thread.isAlive()).isFalse();
    assertThat(worker.problem())
        .hasValueSatisfying(
            p ->
                assertThat(p)
                    .contains("mastodon")
                    .contains("lmp.publisher-mastodon-test")
                    .contains("stopped for good")
                    .contains("--instance-id"));
    assertThat(producers).hasSize(1);
    assertThat(waits).isEmpty();
    assertThat(connector.calls).isEmpty();
  }

  /** Any other Kafka error aborts the transaction; the same outcome goes with the next one. */
  @Test
  void anAbortableCommitErrorAbortsAndWritesTheSameOutcomeWithTheNextTransaction() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    producer.outcomeCommitFailures.add(new KafkaException("the coordinator aborted it"));
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(producers).hasSize(1);
    assertThat(connector.calls).containsExactly("publish:t1");
  }

  /**
   * Regression: a job that threw in its account lane was logged and dropped, so its task never got
   * an outcome (the ledger ended it unknown at its deadline). Here the account book throws.
   */
  @Test
  void aTaskWhoseJobThrowsIsStillAnsweredNamingTheError() {
    accountBook =
        id -> {
          throw new IllegalStateException("account book cannot be read");
        };
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo(ErrorCodes.PUBLISHER_ERROR);
    assertThat(o.error().message())
        .contains("t1", "acc_1", "account book cannot be read", "nothing was posted");
    assertThat(connector.calls).isEmpty();
  }

  /**
   * Regression: {@code Credentials.resolve} on a {@code file:} reference that is no valid path
   * threw InvalidPathException out of the lane job, and the task was silently dropped.
   */
  @Test
  void credentialsNamingAnUnusableFilePathFailTheTaskAsDisconnected() {
    addAccount("acc_1", Account.Status.connected, "file:/run/secrets/\0mastodon");
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(o.error().message())
        .contains("acc_1", "its credentials cannot be read")
        .doesNotContain("file:");
    assertThat(connector.calls).isEmpty();
  }

  /**
   * Regression (tenant isolation): the task was made for key_alice's account acc_1; before its call
   * (a scheduled release) acc_1 was reassigned to key_bob, and the worker posted key_alice's text
   * on key_bob's account. Now it fails as account_not_found, like the ledger answers for a foreign
   * account, naming no other principal, and nothing is sent.
   */
  @Test
  void anAccountReassignedToAnotherPrincipalIsNotPostedToAndFailsAsNotFound() {
    accounts.put(
        "acc_1",
        new Account(
            "acc_1", "key_bob", "mastodon", "@b", Account.Status.connected, "env:TOKEN", false));
    start();
    deliver(0, 0, task("t1", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    TargetOutcome o = outcomes().get(0);
    assertThat(o.status()).isEqualTo(TargetOutcome.Status.failed);
    assertThat(o.error().code()).isEqualTo(ErrorCodes.ACCOUNT_NOT_FOUND);
    assertThat(o.error().message()).contains("acc_1").doesNotContain("key_bob");
    assertThat(connector.calls).isEmpty();
  }

  /**
   * Regression (zombie calls): a worker cut off from Kafka kept starting retries while the group
   * could give its partition to a new owner that reconciles at once. Interleaving: journal t1
   * (commit begun at T0: lease to T0+5 s) → publish t1 starts → Kafka unreachable (TxnOffsetCommit
   * times out, so the lease cannot be renewed) → clock T0+6 s → publish answers 503 → retry due →
   * [before] second publish → [now] no call while the lease is out; once a renewal commits again
   * the retry goes out.
   */
  @Test
  void aWorkerCutOffFromKafkaStartsNoRetryOnceItsLeaseRanOut() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_1", release);
    connector.publishAnswer = new CallResult.NotSent("platform_unavailable", "503", null);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);

    producer.sendOffsetsFailure = new TimeoutException("TxnOffsetCommit timed out");
    clock.advance(PublisherWorker.LEASE.plusSeconds(1));
    release.countDown();

    // The 503's backoff comes due as time passes; the retry then finds the lease run out.
    awaitWhileTimePasses(() -> worker.refusedForLease() > 0);
    assertThat(connector.calls).containsExactly("publish:t1");
    assertThat(outcomes()).isEmpty();

    connector.publishAnswer = new CallResult.Published("post-1", "https://m/1");
    producer.sendOffsetsFailure = null;
    clock.advance(Duration.ofSeconds(1));
    awaitWhileTimePasses(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("publish:t1", "publish:t1");
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
  }

  /**
   * Regression (zombie calls): a new owner reconciled another worker's open entry at once, while
   * that worker, cut off, could still be in its call; for Mastodon the reconcile repeats the POST,
   * and two concurrent same-key POSTs can make two statuses. Interleaving: w-other journals t1 and
   * calls → w-other loses the partition → this worker assigned at A, reads the open entry →
   * [before] reconcile at A → [now] reconcile only from A + LEASE + callTimeout, when w-other's
   * calls have ended.
   */
  @Test
  void anOpenEntryOfAnotherWorkerIsNotReconciledBeforeThatWorkersCallsCanHaveEnded() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    PublishTask orphan = task("t-orphan", "acc_1");
    journal.add(
        new ConsumerRecord<>(
            JOURNAL,
            0,
            0,
            orphan.taskId(),
            Json.write(
                new JournalEntry(
                    orphan, true, "lmp.publisher-mastodon-other", clock.millis(), null, false))));
    Instant assignedAt = clock.instant();
    start();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.deferredForPreviousOwner() > 0);
    Instant previousOwnerDone = assignedAt.plus(PublisherWorker.LEASE).plus(worker.callTimeout());

    // Read before the move: the move itself runs the job that is due.
    int seen = worker.deferredForPreviousOwner();
    clock.set(previousOwnerDone.minusMillis(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.deferredForPreviousOwner() > seen);
    assertThat(connector.calls).isEmpty();

    clock.set(previousOwnerDone);
    awaitWhileTimePasses(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("reconcile:t-orphan");
  }

  /**
   * A task revoked cleanly before any call that reached the platform is re-journaled as handed over
   * (this worker polled it itself, so no earlier owner can be calling it): its next owner need not
   * wait.
   */
  @Test
  void aRevokedTaskThisWorkerPolledIsReJournaledAsHandedOver() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    connector.publishAnswer = new CallResult.NotSent("rate_limited", "429", Duration.ofSeconds(30));
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);

    consumer.schedulePollTask(() -> consumer.rebalance(List.of(new TopicPartition(TASKS, 1))));

    await().atMost(Duration.ofSeconds(10)).until(() -> journalWrites().size() == 2);
    JournalEntry handed = Json.read(journalWrites().get(1).value(), JournalEntry.class);
    assertThat(handed.task().taskId()).isEqualTo("t1");
    assertThat(handed.handedOver()).isTrue();
    assertThat(handed.mayHaveReachedPlatform()).isFalse();
  }

  /**
   * A retry waits out its backoff on the worker's clock: with the test's backoff (base 10 ms) the
   * first retry is due 5 to 10 ms after the 503, and not one real millisecond is waited for it.
   */
  @Test
  void aRetryIsDueWhenTheClockHasPassedItsBackoffAndNotBefore() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    connector.publishAnswer = new CallResult.NotSent("platform_unavailable", "503", null);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.waiting() == 1);
    connector.publishAnswer = new CallResult.Published("post-1", "https://m/1");

    clock.advance(Duration.ofMillis(4));
    assertThat(scheduler.waiting()).as("the retry is not due before 5 ms").isEqualTo(1);
    assertThat(connector.calls).containsExactly("publish:t1");

    clock.advance(Duration.ofMillis(6));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("publish:t1", "publish:t1");
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);
    assertThat(scheduler.waiting()).isZero();
  }

  /**
   * Regression (zombie outcome after a clean revocation): an outcome whose commit kept failing
   * stayed pending after its partition was revoked and was written by a later transaction, after
   * the new owner had taken the task over. Interleaving: t1 (partition 0) gives up: failed,
   * retryable → its outcome's commits abort (the coordinator aborts them) → partition 0 revoked →
   * the last flush in the callback aborts too → [before] the outcome stays pending and commits with
   * t2's → [now] it is dropped: t1's journal entry stands for the next owner, and only t2's outcome
   * is written.
   */
  @Test
  void anOutcomeStillUnwrittenWhenItsPartitionIsRevokedIsDroppedNotWrittenLater() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    addAccount("acc_2", Account.Status.connected, "env:TOKEN");
    connector.publishAnswer =
        new CallResult.NotSent("platform_unavailable", "503", Duration.ofMinutes(2));
    producer.everyOutcomeCommitFailure = new KafkaException("the coordinator aborted it");
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> producer.aborts.get() > 0);

    TopicPartition p0 = new TopicPartition(TASKS, 0);
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(new TopicPartition(TASKS, 1))));
    await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.assignment().contains(p0));
    producer.everyOutcomeCommitFailure = null;
    connector.publishAnswer = new CallResult.Published("post-2", "https://m/2");
    deliver(1, 0, task("t2", "acc_2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);

    assertThat(outcomes()).extracting(TargetOutcome::taskId).containsExactly("t2");
    assertThat(journalWrites())
        .filteredOn(r -> r.key().equals("t1"))
        .as("t1's attempting entry stands, neither re-journaled nor tombstoned")
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isNotNull());
  }

  /**
   * Regression (zombie outcome): a worker that gave up on a task and lost the partition before its
   * outcome committed wrote "failed, retryable" later, after the new owner had reconciled and
   * published the task; the envelope said nothing was posted and a retry posted again.
   * Interleaving: poll t1 (partition 0) → journal + offsets committed → publish t1 (in progress) →
   * the group moves on without this worker (the coordinator now rejects its TxnOffsetCommit as of a
   * stale generation) → publish answers 503 with a wait past the deadline: t1 failed, retryable →
   * [before] the outcome committed in a transaction without offsets, fenced by nothing → [now] the
   * outcome's transaction carries partition 0's offset and is aborted → partition 0 lost → the
   * unwritten outcome is dropped → this worker's transactions commit again (t2 on partition 1), and
   * t1's outcome is never written; its journal entry stands for the next owner.
   */
  @Test
  void aWorkerThatLostThePartitionNeverWritesTheOutcomeOfATaskItGaveUpOn() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    addAccount("acc_2", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_1", release);
    connector.publishAnswer =
        new CallResult.NotSent("platform_unavailable", "503", Duration.ofMinutes(2));
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);

    producer.sendOffsetsFailure =
        new CommitFailedException(
            "Transaction offset Commit failed due to consumer group metadata mismatch: The"
                + " generation id provided in the request is not the current generation.");
    int abortsBefore = producer.aborts.get();
    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> producer.aborts.get() > abortsBefore);
    TopicPartition p0 = new TopicPartition(TASKS, 0);
    consumer.schedulePollTask(() -> consumer.losePartitions(List.of(p0)));
    await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.assignment().contains(p0));

    producer.sendOffsetsFailure = null;
    connector.publishAnswer = new CallResult.Published("post-2", "https://m/2");
    deliver(1, 0, task("t2", "acc_2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);

    assertThat(outcomes()).extracting(TargetOutcome::taskId).containsExactly("t2");
    assertThat(journalWrites())
        .filteredOn(r -> r.key().equals("t1"))
        .as("t1's attempting entry stands, with no tombstone")
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isNotNull());
    assertThat(connector.calls).containsExactly("publish:t1", "publish:t2");
  }

  /**
   * Waits until a clean hand-over is waiting for calls, then moves the clock to {@code at} and
   * waits until the hand-over has looked at the clock after the move.
   */
  void moveClockDuringHandOverWait(Instant at) {
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.handOverWaitLooks() > 0);
    clock.set(at);
    int seen = worker.handOverWaitLooks();
    // The look after `seen` may have read the clock before the move; the one after it has not.
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.handOverWaitLooks() > seen + 1);
  }

  /**
   * Regression (hand-over waiting on a platform call): a task's job held the lock the revocation
   * callback needed across its platform call, so a platform that stalls held up the poll loop and
   * the group's rebalance. Interleaving: poll t1 → publish t1 blocks → partition 0 revoked →
   * [before] onPartitionsRevoked waits until the call returns → [now] it waits for the call only up
   * to the hand-over wait (10 s on the worker's clock; the call stays blocked), then re-journals t1
   * as "may have reached the platform", not exclusive (the next owner waits for the call to end and
   * reconciles) → the poll loop goes on (t2 on partition 1 is published) → the blocked call returns
   * Published and its answer is discarded, never written by this worker.
   */
  @Test
  void aRevocationCompletesWhileAPlatformCallIsStillBlocked() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    addAccount("acc_2", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_1", release);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);
    Instant revokedAt = clock.instant();
    Duration bound = PublisherConfig.DEFAULT_HAND_OVER_WAIT;

    consumer.schedulePollTask(() -> consumer.rebalance(List.of(new TopicPartition(TASKS, 1))));
    moveClockDuringHandOverWait(revokedAt.plus(bound).minusMillis(1));
    assertThat(journalWrites()).as("still waiting for the call: nothing handed over").hasSize(1);

    clock.set(revokedAt.plus(bound));
    // Well below the 10 s the fake connector's call stays blocked.
    await().atMost(Duration.ofSeconds(3)).until(() -> journalWrites().size() == 2);
    JournalEntry handed = Json.read(journalWrites().get(1).value(), JournalEntry.class);
    assertThat(handed.task().taskId()).isEqualTo("t1");
    assertThat(handed.mayHaveReachedPlatform()).isTrue();
    assertThat(handed.handedOver()).as("a call of this worker may still be in progress").isFalse();
    assertThat(handed.firstAttemptAt()).isNotNull();

    deliver(1, 0, task("t2", "acc_2"));
    await().atMost(Duration.ofSeconds(3)).until(() -> outcomes().size() == 1);
    assertThat(release.getCount()).as("the call of t1 is still blocked").isEqualTo(1);

    release.countDown();
    deliver(1, 1, task("t3", "acc_2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 2);
    assertThat(outcomes()).extracting(TargetOutcome::taskId).containsExactly("t2", "t3");
    assertThat(journalWrites()).filteredOn(r -> r.key().equals("t1")).hasSize(2);
  }

  /**
   * Regression (a clean hand-over made outcomes unknown): once hand-over stopped waiting on calls,
   * a task whose call was in progress during a deploy or scale-out was handed over as "may have
   * reached the platform", and on X, Threads, Telegram, Discord or Slack, which cannot be
   * reconciled, it ended unknown although the platform answered a moment later. Interleaving: poll
   * t1 (partition 0) → publish t1 in progress → partition 0 revoked → [before] t1 re-journaled at
   * once as may-have-reached, its Published answer discarded → [now] the revocation stops new calls
   * and waits (the clock does not move) → the call answers Published → its outcome is written with
   * t1's tombstone and partition 0's offset (fenced), before the revocation completes → nothing is
   * left open for a next owner to reconcile.
   */
  @Test
  void aCallThatEndsWithinTheHandOverWaitKeepsItsRealOutcomeAndClosesItsJournalEntry() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_1", release);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);

    TopicPartition p0 = new TopicPartition(TASKS, 0);
    consumer.schedulePollTask(() -> consumer.rebalance(List.of(new TopicPartition(TASKS, 1))));
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.handOverWaitLooks() > 0);
    assertThat(journalWrites()).as("nothing handed over while the call runs").hasSize(1);
    assertThat(outcomes()).isEmpty();

    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> !consumer.assignment().contains(p0));

    TargetOutcome t1 = outcomes().get(0);
    assertThat(t1.taskId()).isEqualTo("t1");
    assertThat(t1.status()).isEqualTo(TargetOutcome.Status.published);
    assertThat(t1.postId()).isEqualTo("post-1");
    List<ProducerRecord<String, byte[]>> t1Journal =
        journalWrites().stream().filter(r -> r.key().equals("t1")).toList();
    assertThat(t1Journal).as("attempting, then the tombstone; no hand-over entry").hasSize(2);
    assertThat(Json.read(t1Journal.get(0).value(), JournalEntry.class).handedOver()).isFalse();
    assertThat(t1Journal.get(1).value()).isNull();
    assertThat(producer.consumerGroupOffsetsHistory())
        .as("the journal's transaction, then the outcome's, each with partition 0's offset")
        .hasSize(2)
        .allSatisfy(
            o ->
                assertThat(o.values())
                    .singleElement()
                    .satisfies(m -> assertThat(m).containsEntry(p0, new OffsetAndMetadata(1))));
    assertThat(connector.calls).as("nobody reconciles").containsExactly("publish:t1");
  }

  /**
   * Lost partitions are never waited for: another member may own them already, so the worker stops
   * their tasks at once and writes nothing. Interleaving: publish t1 (partition 0) blocks →
   * partition 0 lost, the clock standing still → the callback returns at once (if it waited for the
   * call it would stay blocked until the fake's 10 s hold) → t2 on partition 1 is published → t1's
   * call returns and its answer is discarded; its attempting entry stands for the next owner.
   */
  @Test
  void losingAPartitionNeverWaitsForItsCallsInProgress() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    addAccount("acc_2", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_1", release);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 1);

    TopicPartition p0 = new TopicPartition(TASKS, 0);
    consumer.schedulePollTask(() -> consumer.losePartitions(List.of(p0)));
    await().atMost(Duration.ofSeconds(3)).until(() -> !consumer.assignment().contains(p0));
    assertThat(worker.handOverWaitLooks()).isZero();
    assertThat(release.getCount()).as("the call of t1 is still blocked").isEqualTo(1);

    deliver(1, 0, task("t2", "acc_2"));
    await().atMost(Duration.ofSeconds(3)).until(() -> outcomes().size() == 1);
    release.countDown();
    deliver(1, 1, task("t3", "acc_2"));
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 2);

    assertThat(outcomes()).extracting(TargetOutcome::taskId).containsExactly("t2", "t3");
    assertThat(journalWrites())
        .filteredOn(r -> r.key().equals("t1"))
        .as("t1's attempting entry stands, neither re-journaled nor tombstoned")
        .singleElement()
        .satisfies(r -> assertThat(r.value()).isNotNull());
  }

  /** Journal partition 0 with {@code settled} answered entries, then {@code open} open ones. */
  List<String> journalWithOpenEntries(int settled, int open) {
    for (int i = 0; i < settled; i++) {
      PublishTask done = task("t-done-" + i, "acc_1");
      journal.add(
          new ConsumerRecord<>(
              JOURNAL,
              0,
              journal.size(),
              done.taskId(),
              Json.write(new JournalEntry(done, true, "w0", 1L, 1L, false))));
      journal.add(new ConsumerRecord<>(JOURNAL, 0, journal.size(), done.taskId(), null));
    }
    List<String> calls = new java.util.ArrayList<>();
    for (int i = 0; i < open; i++) {
      PublishTask handed = task("t-open-" + i, "acc_1");
      journal.add(
          new ConsumerRecord<>(
              JOURNAL,
              0,
              journal.size(),
              handed.taskId(),
              Json.write(new JournalEntry(handed, false, "w0", 1L, null, true))));
      calls.add("publish:" + handed.taskId());
    }
    return calls;
  }

  /**
   * Regression (journal recovery dropped): the journal was read within one fixed budget (60 s) and,
   * past it, the assignment callback threw and the partition's open entries were never resumed
   * (they ended unknown at the ledger's deadline). Now a read that outlasts one slice goes on in
   * the next loop. Interleaving: p0 assigned → its journal (20 settled, 3 open entries) is read one
   * record per reader poll, each taking 100 ms of the clock, so the read spans several 500 ms
   * slices → meanwhile t-new arrives on p0 and is not polled → the read ends → the 3 open entries
   * resume → only then is t-new polled and published.
   */
  @Test
  void aJournalReadLongerThanOneSliceResumesEveryOpenEntryBeforeThePartitionsTasks() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    List<String> resumed = journalWithOpenEntries(10, 3);
    journalReaders = () -> new SlowJournalReader(journal, clock, Duration.ofMillis(100), 0);
    start();
    deliver(0, 0, task("t-new", "acc_1"));

    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.size() == 4);
    assertThat(connector.calls.subList(0, 3)).containsExactlyInAnyOrderElementsOf(resumed);
    assertThat(connector.calls.get(3)).isEqualTo("publish:t-new");
    assertThat(worker.recoverySlices()).as("the read spanned several slices").isGreaterThan(2);
    assertThat(journalReads.get()).as("one reader, kept across slices").isEqualTo(1);
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 4);
    assertThat(worker.recoveringPartitions()).isEmpty();
  }

  /**
   * Regression (journal recovery dropped): a journal read that failed (a broker going away, an
   * offset lookup timing out) threw out of the assignment callback, and the partition's open
   * entries were never resumed. Interleaving: p0 assigned → the reader fails on its 6th poll →
   * [before] the entries are dropped, the partition's tasks polled at once → [now] p0 stays paused
   * and named as recovering; a new reader goes on a second later from the offset where the first
   * stopped → every open entry is resumed once, none dropped, then t-new is published.
   */
  @Test
  void aJournalReadThatFailsIsRetriedFromWhereItStoppedAndDropsNoOpenEntry() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    List<String> resumed = journalWithOpenEntries(5, 3);
    List<SlowJournalReader> readers = new CopyOnWriteArrayList<>();
    journalReaders =
        () -> {
          SlowJournalReader r =
              new SlowJournalReader(journal, clock, Duration.ZERO, readers.isEmpty() ? 6 : 0);
          readers.add(r);
          return r;
        };
    start();
    deliver(0, 0, task("t-new", "acc_1"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> readers.size() == 1 && readers.get(0).failed);
    assertThat(worker.recoveringPartitions()).contains(new TopicPartition(TASKS, 0));
    assertThat(connector.calls).isEmpty();

    awaitWhileTimePasses(() -> connector.calls.size() == 4);
    assertThat(readers).hasSize(2);
    assertThat(readers.get(1).seeks.get(new TopicPartition(JOURNAL, 0)))
        .as("the second reader starts where the first stopped")
        .isEqualTo(5L);
    assertThat(connector.calls.subList(0, 3)).containsExactlyInAnyOrderElementsOf(resumed);
    assertThat(connector.calls.get(3)).isEqualTo("publish:t-new");
    awaitWhileTimePasses(() -> outcomes().size() == 4);
    assertThat(worker.recoveringPartitions()).isEmpty();
  }

  /**
   * A journal reader over a fixed list of journal records (offsets 0, 1, ... per partition) that
   * returns one record per poll, moves the clock by {@code perPoll} for each, and throws on its
   * poll number {@code failAt} (0: never).
   */
  static final class SlowJournalReader extends MockConsumer<String, byte[]> {
    final Map<TopicPartition, Long> seeks = new ConcurrentHashMap<>();
    volatile boolean failed;
    private final List<ConsumerRecord<String, byte[]>> records;
    private final MutableClock clock;
    private final Duration perPoll;
    private final int failAt;
    private final Map<TopicPartition, Long> positions = new java.util.LinkedHashMap<>();
    private int polls;

    SlowJournalReader(
        List<ConsumerRecord<String, byte[]>> records,
        MutableClock clock,
        Duration perPoll,
        int failAt) {
      super("earliest");
      this.records = records;
      this.clock = clock;
      this.perPoll = perPoll;
      this.failAt = failAt;
    }

    private long count(TopicPartition p) {
      return records.stream().filter(r -> r.partition() == p.partition()).count();
    }

    @Override
    public synchronized void assign(Collection<TopicPartition> partitions) {
      positions.keySet().retainAll(partitions);
    }

    @Override
    public synchronized Map<TopicPartition, Long> endOffsets(
        Collection<TopicPartition> partitions, Duration timeout) {
      Map<TopicPartition, Long> end = new java.util.HashMap<>();
      partitions.forEach(p -> end.put(p, count(p)));
      return end;
    }

    @Override
    public synchronized Map<TopicPartition, Long> beginningOffsets(
        Collection<TopicPartition> partitions, Duration timeout) {
      Map<TopicPartition, Long> start = new java.util.HashMap<>();
      partitions.forEach(p -> start.put(p, 0L));
      return start;
    }

    @Override
    public synchronized void seek(TopicPartition partition, long offset) {
      seeks.putIfAbsent(partition, offset);
      positions.put(partition, offset);
    }

    @Override
    public synchronized long position(TopicPartition partition, Duration timeout) {
      return positions.get(partition);
    }

    @Override
    public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
      clock.advance(perPoll);
      if (++polls == failAt) {
        failed = true;
        throw new KafkaException("the journal partition's leader went away");
      }
      for (Map.Entry<TopicPartition, Long> e : positions.entrySet()) {
        TopicPartition p = e.getKey();
        long at = e.getValue();
        for (ConsumerRecord<String, byte[]> r : records) {
          if (r.partition() == p.partition() && r.offset() == at) {
            e.setValue(at + 1);
            return new ConsumerRecords<>(Map.of(p, List.of(r)), Map.of());
          }
        }
      }
      return ConsumerRecords.empty();
    }

    @Override
    public synchronized void close(Duration timeout) {}
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

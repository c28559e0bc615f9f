package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.client.Backoff;
import dev.letmepost.testing.MutableClock;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;

/**
 * A publisher worker on mock Kafka clients, a fake connector and a virtual-time scheduler, for the
 * tests of the worker and its parts: a producer that keeps KafkaProducer's rules and fails commits
 * on demand, a journal the worker reads back, and helpers to start it, deliver tasks and read what
 * it wrote.
 */
abstract class WorkerHarness {
  static final Topics TOPICS = Topics.defaults();
  static final Platform PLATFORM = Platform.MASTODON;
  static final String TASKS = TOPICS.publish(PLATFORM).name();
  static final String JOURNAL = TOPICS.journal(PLATFORM).name();

  static final String SECRET = "tok-very-secret-123";

  final Map<String, Account> accounts = new ConcurrentHashMap<>();
  final TimedConsumer consumer = new TimedConsumer();
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
  Backoff.Sleeper sleeper = null;
  Supplier<Consumer<String, byte[]>> journalReaders = () -> new JournalReader(journal);
  PublisherWorker worker;

  Thread thread;

  /** A MockConsumer that also keeps how long its polls since {@link #forgetTimeouts} might wait. */
  static final class TimedConsumer extends MockConsumer<String, byte[]> {
    final Set<Duration> pollTimeouts = ConcurrentHashMap.newKeySet();

    TimedConsumer() {
      super("earliest");
    }

    @Override
    public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
      pollTimeouts.add(timeout);
      return super.poll(timeout);
    }

    void forgetTimeouts() {
      pollTimeouts.clear();
    }
  }

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
            .with(
                c -> {
                  c.backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(50));
                  c.minReconcileWait = Duration.ofMillis(10);
                });
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

package dev.letmepost.publish;

import dev.letmepost.client.Backoff;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.TargetOutcome;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One platform's publisher worker: consumes {@code publish.<platform>} in the platform's consumer
 * group, journals each task as attempting before any platform call, drives the call through its
 * {@link Connector} with retries and reconciliation, and writes exactly one {@link TargetOutcome}
 * per task to the target-outcomes topic.
 */
public final class PublisherWorker implements Runnable, AutoCloseable {
  /*
   * At most once (docs/contract.md#each-target-at-most-once). The journal is a compacted topic
   * partitioned like the publish topic. For each poll, ONE Kafka transaction writes an
   * "attempting" entry per task (key task id, same partition number as the task) AND commits the
   * consumed offsets (sendOffsetsToTransaction with the consumer's group metadata, so a worker
   * that lost its partitions is fenced). Only after that commit does any platform call start.
   * Hence:
   *  - a task is either still unconsumed (it will be delivered again, nothing was called), or
   *    consumed AND journaled; never consumed without a journal entry;
   *  - the outcome and the entry's tombstone are written in one transaction, so a task is either
   *    journaled without outcome, or has its outcome and no entry.
   * After a crash the new owner of partition p reads journal partition p (read_committed) to its
   * end and resumes every entry without tombstone in RECONCILE mode: the connector looks the post
   * up, or repeats the same platform idempotency key, or answers `unknown`. It never publishes
   * blindly. Restarting with the same instance id (transactional id) aborts the dead instance's
   * open transaction at once; another instance waits for transaction.timeout.ms (15 s).
   *
   * The parts, one class each:
   *  - PollLoop: the poll thread's sessions, the journal transaction of each poll, restarts;
   *  - PartitionLease: the lease that lets calls start, outcomes fenced by the owned partitions'
   *    offsets, and the hand-over of revoked or lost partitions;
   *  - AssignmentRecovery: the journal of assigned partitions read and its open entries resumed;
   *  - TaskJob: one task's steps, each at most one platform call, on its account's lane;
   *  - InFlight: the jobs held, and the finished ones whose outcome is not written yet;
   *  - WorkerContext: what they share (settings, clock, consumer, journal, jobs held, stop flag).
   *
   * Threads. The poll thread owns the consumer, the producer and every transaction; platform
   * calls run on the lanes' executor (one lane per account) and hand their outcomes back through
   * a queue that the poll thread takes.
   */

  private static final Logger log = LoggerFactory.getLogger(PublisherWorker.class);

  /** How long the producer of a worker that stops gets to finish what it sends. */
  private static final Duration PRODUCER_CLOSE = Duration.ofSeconds(10);

  /** How long {@link #close()} waits for the poll thread to stop. */
  private static final Duration STOP_WAIT = Duration.ofSeconds(60);

  private final WorkerContext worker;
  private final Connector connector;
  private final ScheduledExecutorService executor;
  private final PartitionLease lease;
  private final TaskJob.Factory jobs;
  private final AssignmentRecovery recovery;
  private final PollLoop loop;
  private final CountDownLatch closeRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile boolean running;

  /** A worker with its own Kafka clients on the cluster {@code client} reaches. */
  public static PublisherWorker create(
      ClientSettings client,
      PublisherConfig config,
      Connector connector,
      Function<String, Optional<Account>> accounts,
      Credentials credentials,
      Clock clock) {
    return new PublisherWorker(
        config,
        connector,
        accounts,
        credentials,
        clock,
        new KafkaConsumer<>(
            WorkerClients.consumerConfig(client, config.groupId(), config.transactionalId())),
        () -> new KafkaProducer<>(WorkerClients.producerConfig(client, config.transactionalId())),
        () -> new KafkaConsumer<>(WorkerClients.journalReaderConfig(client)),
        callThreads(config.threads()),
        Backoff.DEFAULT,
        null);
  }

  /**
   * A worker on the given clients; {@code producers} makes a new transactional producer each time
   * one is needed (first use, and after a fatal producer error). Platform calls, backoffs and
   * rechecks run on {@code executor}, whose delays are read on {@code clock}'s time; the worker
   * shuts it down when it stops. A worker whose producer cannot work (see {@link
   * Transactions.GiveUp}) restarts after {@code restartBackoff}, waited for on {@code sleeper}
   * (null: a wait that {@link #close()} ends at once), which also waits out the pause after a
   * failed loop.
   */
  PublisherWorker(
      PublisherConfig config,
      Connector connector,
      Function<String, Optional<Account>> accounts,
      Credentials credentials,
      Clock clock,
      Consumer<String, byte[]> consumer,
      Supplier<Producer<String, byte[]>> producers,
      Supplier<Consumer<String, byte[]>> journalReaders,
      ScheduledExecutorService executor,
      Backoff restartBackoff,
      Backoff.Sleeper sleeper) {
    Objects.requireNonNull(config, "config");
    this.connector = Objects.requireNonNull(connector, "connector");
    if (connector.platform() != config.platform()) {
      throw new IllegalArgumentException(
          "connector for "
              + connector.platform().wireName()
              + " cannot serve platform "
              + config.platform().wireName());
    }
    this.executor = Objects.requireNonNull(executor, "executor");
    this.worker =
        new WorkerContext(
            config,
            clock,
            Objects.requireNonNull(consumer, "consumer"),
            new Journal(
                config.topics().journal(config.platform()).name(), config.transactionalId()),
            new InFlight(new AccountLanes(executor, clock)),
            new AtomicBoolean(),
            sleeper != null ? sleeper : this::awaitClose);
    this.lease = new PartitionLease(worker, producers);
    this.jobs =
        new TaskJob.Factory(
            worker,
            connector,
            new TaskAccess(config.platform(), connector.needsCredentials(), accounts, credentials),
            lease);
    this.recovery = new AssignmentRecovery(worker, lease, jobs, journalReaders);
    this.loop = new PollLoop(worker, lease, recovery, jobs, restartBackoff);
  }

  /**
   * Why this worker publishes nothing now, naming its platform, transactional id and the reason: it
   * is restarting after its producer kept failing, or it stopped for good (another worker runs with
   * the same instance id, or an unexpected error). Empty while it runs, and once it is being
   * closed.
   */
  public Optional<String> problem() {
    String d = loop.down();
    if (d == null || worker.closing().get()) {
      return Optional.empty();
    }
    PublisherConfig config = worker.config();
    return Optional.of(
        "publisher " + config.platform().wireName() + " (" + config.transactionalId() + ") " + d);
  }

  /** The number of outcomes this worker has written. */
  public int outcomesWritten() {
    return lease.outcomesWritten();
  }

  /** How many times a job found the lease expired and did not start its call (for tests). */
  int refusedForLease() {
    return jobs.refusedForLease();
  }

  /** How many times a clean hand-over looked at the clock while it waited for calls (for tests). */
  int handOverWaitLooks() {
    return lease.handOverWaitLooks();
  }

  /** How many times a job waited for the previous owner's calls to end (for tests). */
  int deferredForPreviousOwner() {
    return jobs.deferredForPreviousOwner();
  }

  /**
   * The task partitions assigned to this worker whose recovery (committed offset, then journal read
   * to its end) has not completed: their tasks are not polled yet.
   */
  public Set<TopicPartition> recoveringPartitions() {
    return recovery.partitions();
  }

  /** How many journal read slices have run (for tests). */
  long recoverySlices() {
    return recovery.slices();
  }

  /** The longest one connector call (all its requests) can last. */
  Duration callTimeout() {
    return jobs.callTimeout();
  }

  /**
   * Polls, journals, publishes and answers until {@link #close()}. Runs once. A session that ends
   * on a fault (its producer kept failing fatally, e.g. its transactional id lost its ACL; or an
   * unexpected error) releases its partitions and a new one starts after a capped exponential
   * backoff; meanwhile {@link #problem()} names the worker. A fenced instance id (another worker
   * with the same --instance-id) stops it for good, reported but never restarted.
   */
  @Override
  public void run() {
    running = true;
    log.info(
        "publisher {} ({}) starting on {} with connector {}",
        worker.config().groupId(),
        worker.holder(),
        worker.taskTopic(),
        connector.getClass().getSimpleName());
    try {
      loop.run();
    } finally {
      shutdown(PRODUCER_CLOSE);
      stopped.countDown();
      log.info("publisher {} stopped", worker.holder());
    }
  }

  /** Stops polling, hands over unfinished tasks through the journal, and closes the clients. */
  @Override
  public void close() {
    worker.closing().set(true);
    closeRequested.countDown();
    if (!running) {
      shutdown(Duration.ZERO);
      return;
    }
    worker.consumer().wakeup();
    try {
      if (!stopped.await(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("publisher {} did not stop within {}", worker.holder(), STOP_WAIT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Lets go of everything the worker holds: stops the platform calls, the journal read and the
   * consumer, and closes the producer, which gets up to {@code producerTimeout}. Never throws.
   */
  private void shutdown(Duration producerTimeout) {
    executor.shutdownNow();
    recovery.close();
    try {
      worker.consumer().close();
    } catch (RuntimeException e) {
      log.warn("could not close the publisher's consumer: {}", e.toString());
    }
    lease.transactions().close(producerTimeout);
  }

  /** The default wait between sessions: ends early once {@link #close()} is called. */
  private void awaitClose(Duration d) throws InterruptedException {
    if (closeRequested.await(d.toMillis(), TimeUnit.MILLISECONDS)) {
      log.debug("publisher wait of {} ended by close()", d);
    }
  }

  /** The executor of a worker's platform calls: {@code threads} daemon threads. */
  private static ScheduledExecutorService callThreads(int threads) {
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            threads,
            r -> {
              Thread t = new Thread(r, "publisher-call-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }
}

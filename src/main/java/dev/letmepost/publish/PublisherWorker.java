package dev.letmepost.publish;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Backoff;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.ReaderLoop;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
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
   * At most once (docs/contract.md#each-target-at-most-once). The journal is a compacted topic partitioned like the
   * publish topic. For each poll, ONE Kafka transaction writes an "attempting" entry per task
   * (key task id, same partition number as the task) AND commits the consumed offsets
   * (sendOffsetsToTransaction with the consumer's group metadata, so a worker that lost its
   * partitions is fenced). Only after that commit does any platform call start. Hence:
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
   * Rebalance. On revocation, and on a graceful shutdown (the member still owns the partitions
   * until the callback returns), no new call starts for the revoked partitions' tasks, and the
   * poll thread waits a bounded time (PublisherConfig.handOverWait, 10 s: far below
   * max.poll.interval.ms, within which the callback must return) for the calls in progress to end.
   * It waits on each run's step-ended future, holding no lock a call needs. Then the finished
   * tasks get their outcomes (fenced as below: in a transaction with their partitions' offsets and
   * the group metadata, before the callback returns), and every other task is re-journaled with
   * what is known for the next owner. A call still in progress after the bound is not waited for
   * any longer: its task is re-journaled as "may have reached the platform" and not exclusive (the
   * next owner waits until the call can have ended, then reconciles; `unknown` where the platform
   * cannot be reconciled), and the call's answer, when it comes, is discarded. Every platform call
   * has a whole-call deadline, so most calls end within the bound and keep their real outcome. No
   * lock the poll thread takes is held across a platform call (see Running). On lost partitions
   * (another member may already own them) nothing is waited for and nothing written: the entries
   * that stand are reconciled by the next owner.
   *
   * Fencing outcomes. A worker that finished a task (say, gave up: failed, retryable) and lost the
   * partition before its outcome committed must never write that outcome later: by then the new
   * owner may have reconciled and published the task, and a stale "failed, retryable" invites a
   * second post. Two guards, both needed:
   *  - Every outcome transaction also commits the offsets of the outcomes' partitions with the
   *    consumer's group metadata. The group coordinator validates a TxnOffsetCommit's member id
   *    and generation (ClassicGroup.validateOffsetCommit, KIP-447; a static member's instance id
   *    too) and answers ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID to a member
   *    the group has moved past; the producer then fails sendOffsetsToTransaction (a
   *    CommitFailedException, abortable) and the transaction, outcome included, is aborted. This
   *    covers the window in which the group already gave the partition away but this consumer
   *    has not yet noticed (no poll has run onPartitionsLost).
   *  - The generation check cannot see which partitions a member owns, and once this consumer has
   *    rejoined, its new generation would pass. So when partitions are revoked or lost, the
   *    outcomes of theirs not yet written are dropped (after one last flush on a revocation, when
   *    the worker still owns them), and flushFinished writes only outcomes of partitions this
   *    worker owns (with a committed offset). The journal entry of a dropped outcome stands; the
   *    next owner, possibly this worker again, reconciles the task from it. A dropped outcome is
   *    never re-journaled: its transaction may have committed in doubt, with its tombstone, and
   *    re-opening the entry could publish a task already answered.
   *
   * Threads. The poll thread owns the consumer, the producer and every transaction; platform
   * calls run on the lanes' executor (one lane per account) and hand their outcomes back through
   * a queue that the poll thread flushes.
   *
   * Transactions. Every transaction (journal, outcomes, hand-over, lease renewal) goes through
   * Transactions.transact(), which keeps KafkaProducer's rules: a commit timeout is retried as a
   * commit, any other error aborts, a fatal one closes the producer and builds a new one. After a
   * rebuild the worker rewinds the consumer to the committed offsets and reads the journal of the
   * assigned partitions again, as on assignment. A finished outcome stays in `unwritten` until a
   * transaction holding it commits: no failure path drops it. (If a commit left in doubt did
   * complete, its outcomes are written twice; the ledger keeps the first outcome per target, and a
   * second tombstone is harmless.)
   *
   * Zombies: the lease. A worker cut off from Kafka must stop starting platform calls (first
   * calls, retries, reconciles), and a new owner must not call before the old owner's calls can
   * have ended. A worker knows it still owned its partitions at time T when a transaction begun at
   * T that sent offsets with the consumer's group metadata committed (the group coordinator checks
   * a TxnOffsetCommit's generation and member id), or when a poll begun at T returned an
   * assignment. Such a confirmation grants a LEASE (5 s) from T: a call starts only while the
   * clock is before T + LEASE, checked on the calling thread just before the call. While tasks are
   * in progress the poll thread renews the lease (a transaction committing the current offsets)
   * once a third of it has passed, so a connected worker never lets it lapse; a worker that cannot
   * commit stops starting calls at most LEASE after its last confirmation. LEASE is shorter than
   * session.timeout.ms (10 s) and max.poll.interval.ms (5 min), so by the time the group gives a
   * silent worker's partitions away, that worker has already stopped starting calls.
   *   The new owner. Every confirmation of the old owner happened before the coordinator gave the
   * partition to the new owner, hence before the new owner's recovery at A. So the old owner
   * starts no call after A + LEASE, and its last call ends by A + LEASE + callTimeout (the
   * connector's requestsPerCall x (connect + request timeout)). The new owner resumes an open
   * entry only from A + LEASE + callTimeout, measured on its own clock (durations only: no offset
   * between hosts' clocks enters), rescheduling the job rather than holding a thread. No wait is
   * needed for an entry marked `handedOver`: written on a clean revocation by a worker that was
   * the only one able to call that task (it polled the task itself, or its own wait had passed)
   * and had stopped its calls. Nor for this worker's own attempts whose journal transaction a
   * producer rebuild left in doubt: calls start only after that commit, so none was called; they
   * resume in PUBLISH mode, but only while this worker kept their partitions and only from the very
   * entry it wrote (its holder and journaledAt): once a partition was revoked or lost, another
   * owner may have called and re-journaled the task. What is not covered: a call that outlives its timeouts (a platform
   * acting on a request long after the connection ended), and a clock that jumps.
   */

  static final String MALFORMED_TASK = "malformed_task";

  /** How long a confirmation of partition ownership lets this worker start calls. */
  static final Duration LEASE = Duration.ofSeconds(5);

  /** The longest a waiting job goes without looking at the clock again. */
  static final Duration RECHECK = Duration.ofMillis(250);

  private static final Logger log = LoggerFactory.getLogger(PublisherWorker.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final Duration ERROR_PAUSE = Duration.ofSeconds(1);
  private static final Duration RENEWAL_RETRY = LEASE.dividedBy(10);
  private static final Duration POSITION_TIMEOUT = Duration.ofSeconds(5);

  /** The longest a clean hand-over waiting for calls goes without looking at the clock again. */
  static final Duration HAND_OVER_RECHECK = Duration.ofMillis(50);

  private final PublisherConfig config;
  private final Connector connector;
  private final TaskAccess taskAccess;
  private final Clock clock;
  private final Consumer<String, byte[]> consumer;
  private final Transactions transactions;
  private final String taskTopic;
  private final Journal journal;
  private final JournalRecovery recovery;
  private final Duration callTimeout;
  private final ScheduledExecutorService executor;
  private final AccountLanes lanes;
  private final Map<String, Running> active = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<Running> finished = new ConcurrentLinkedQueue<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch closeRequested = new CountDownLatch(1);
  private final Backoff restartBackoff;
  private final ReaderLoop.Sleeper sleeper;
  private final Rebalance rebalance = new Rebalance();
  private final AtomicInteger outcomesWritten = new AtomicInteger();
  private final AtomicInteger refusedForLease = new AtomicInteger();
  private final AtomicInteger deferredForPreviousOwner = new AtomicInteger();
  private final AtomicInteger handOverWaitLooks = new AtomicInteger();
  private volatile boolean closing;
  private volatile boolean running;

  /** Why this worker is not running (restarting, or stopped for good), or null while it runs. */
  private volatile String down;

  // Poll thread only: sessions ended by a fault in a row, reset once the producer is ready again.
  private int failedSessions;

  /** Epoch ms until which calls may start (see the lease above); written by the poll thread. */
  private volatile long leaseUntil = Long.MIN_VALUE;

  // Poll thread only.
  private long leaseFrom = Long.MIN_VALUE;
  private long nextRenewalAttempt = Long.MIN_VALUE;
  private long pollStartedAt;
  private final Map<String, Running> unwritten = new LinkedHashMap<>();

  /**
   * This worker's own attempts whose journal transaction a producer rebuild left in doubt, so none
   * was called: by task partition number, task id and the journaledAt of the entry this worker
   * wrote. Trusted only for that very entry (same holder, same journaledAt), and only while this
   * worker keeps the partition: a partition's entries go when it is revoked or lost and once its
   * recovery has resumed them. Bounded by the records of the assigned partitions polled in
   * transactions left in doubt before their recovery completed.
   */
  private final Map<Integer, Map<String, Long>> neverCalled = new HashMap<>();

  private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();

  /**
   * Assigned task partitions whose committed offset is yet to be read before their journal is; with
   * the assignment time. Bounded by the assignment.
   */
  private final Map<TopicPartition, Instant> awaitingPosition = new LinkedHashMap<>();

  /** Assigned task partitions whose recovery has not completed; written by the poll thread. */
  private volatile Set<TopicPartition> recovering = Set.of();

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
        callThreads(config.threads()));
  }

  /**
   * A worker on the given clients; {@code producers} makes a new transactional producer each time
   * one is needed (first use, and after a fatal producer error). Platform calls, backoffs and
   * rechecks run on {@code executor}, whose delays are read on {@code clock}'s time; the worker
   * shuts it down when it stops.
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
      ScheduledExecutorService executor) {
    this(
        config,
        connector,
        accounts,
        credentials,
        clock,
        consumer,
        producers,
        journalReaders,
        executor,
        Backoff.DEFAULT,
        null);
  }

  /**
   * As above; a worker whose producer cannot work (see {@link Transactions.GiveUp}) restarts after
   * {@code restartBackoff}, waited for on {@code sleeper} (null: a wait that {@link #close()} ends
   * at once), which also waits out the pause after a failed loop.
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
      ReaderLoop.Sleeper sleeper) {
    this.restartBackoff = Objects.requireNonNull(restartBackoff, "restartBackoff");
    this.sleeper =
        sleeper != null
            ? sleeper
            : d -> {
              boolean closed = closeRequested.await(d.toMillis(), TimeUnit.MILLISECONDS);
              if (closed) {
                log.debug("publisher wait of {} ended by close()", d);
              }
            };
    this.config = Objects.requireNonNull(config, "config");
    this.connector = Objects.requireNonNull(connector, "connector");
    if (connector.platform() != config.platform()) {
      throw new IllegalArgumentException(
          "connector for "
              + connector.platform().wireName()
              + " cannot serve platform "
              + config.platform().wireName());
    }
    this.taskAccess =
        new TaskAccess(config.platform(), connector.needsCredentials(), accounts, credentials);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.consumer = consumer;
    this.transactions =
        new Transactions(
            config.transactionalId(),
            producers,
            () -> this.consumer.groupMetadata(),
            clock,
            this::confirmOwnership,
            () -> closing = true);
    this.taskTopic = config.topics().publish(config.platform()).name();
    this.journal =
        new Journal(config.topics().journal(config.platform()).name(), config.transactionalId());
    this.recovery = new JournalRecovery(journal, journalReaders, clock, config.transactionalId());
    if (connector.requestsPerCall() < 1) {
      throw new IllegalArgumentException(
          "connector "
              + connector.getClass().getSimpleName()
              + " must make at least one request per call, says "
              + connector.requestsPerCall());
    }
    this.callTimeout =
        config
            .connectTimeout()
            .plus(config.requestTimeout())
            .multipliedBy(connector.requestsPerCall());
    this.executor = Objects.requireNonNull(executor, "executor");
    this.lanes = new AccountLanes(executor, clock);
  }

  /**
   * Why this worker publishes nothing now, naming its platform, transactional id and the reason: it
   * is restarting after its producer kept failing, or it stopped for good (another worker runs with
   * the same instance id, or an unexpected error). Empty while it runs, and once it is being
   * closed.
   */
  public Optional<String> problem() {
    String d = down;
    if (d == null || closing) {
      return Optional.empty();
    }
    return Optional.of(
        "publisher " + config.platform().wireName() + " (" + config.transactionalId() + ") " + d);
  }

  /** The number of outcomes this worker has written. */
  public int outcomesWritten() {
    return outcomesWritten.get();
  }

  /** How many times a job found the lease expired and did not start its call (for tests). */
  int refusedForLease() {
    return refusedForLease.get();
  }

  /** How many times a clean hand-over looked at the clock while it waited for calls (for tests). */
  int handOverWaitLooks() {
    return handOverWaitLooks.get();
  }

  /** How many times a job waited for the previous owner's calls to end (for tests). */
  int deferredForPreviousOwner() {
    return deferredForPreviousOwner.get();
  }

  /**
   * The task partitions assigned to this worker whose recovery (committed offset, then journal read
   * to its end) has not completed: their tasks are not polled yet.
   */
  public Set<TopicPartition> recoveringPartitions() {
    return recovering;
  }

  /** How many journal read slices have run (for tests). */
  long recoverySlices() {
    return recovery.slices();
  }

  /** The longest one connector call (all its requests) can last. */
  Duration callTimeout() {
    return callTimeout;
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
        config.groupId(),
        config.transactionalId(),
        taskTopic,
        connector.getClass().getSimpleName());
    try {
      while (!closing) {
        String fault = session();
        if (fault == null || closing) {
          break;
        }
        int n = ++failedSessions;
        Duration delay = restartBackoff.delay(n);
        down =
            "is restarting: "
                + fault
                + " (failure "
                + n
                + " in a row; next attempt in "
                + delay
                + ")";
        log.error(
            "publisher {} stopped: {} (its journaled tasks will be reconciled by the next owner);"
                + " restarting in {}",
            config.transactionalId(),
            fault,
            delay);
        try {
          sleeper.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        transactions.restart();
      }
    } catch (RuntimeException e) {
      down = "stopped for good on an error: " + e;
      log.error("publisher {} stopped on an error", config.groupId(), e);
    } finally {
      executor.shutdownNow();
      recovery.close();
      closeQuietly(consumer::close, "consumer");
      transactions.close(Duration.ofSeconds(10));
      stopped.countDown();
      log.info("publisher {} stopped", config.transactionalId());
    }
  }

  /**
   * One session: subscribes and loops until the worker is closed (then hands over its partitions
   * and answers null) or a fault ends it (then releases its partitions as lost and answers the
   * fault). A fenced instance id answers null after setting {@link #down} for good.
   */
  private String session() {
    String fault;
    try {
      consumer.subscribe(List.of(taskTopic), rebalance);
      while (!closing) {
        try {
          ensureProducer();
          if (down != null) {
            log.info("publisher {} runs again", config.transactionalId());
            down = null;
            failedSessions = 0;
          }
          pollOnce();
          advanceRecovery();
          flushFinished();
          renewLeaseIfDue();
          applyBackpressure();
        } catch (WakeupException e) {
          // close() woke the consumer; the loop condition ends the loop.
        } catch (FencedInstanceIdException e) {
          down =
              "stopped for good: another worker joined "
                  + config.groupId()
                  + " with the same instance id; give each running worker its own --instance-id";
          log.error("publisher {} {}", config.transactionalId(), down);
          return null;
        } catch (Transactions.GiveUp e) {
          fault = e.getMessage();
          release();
          return fault;
        } catch (RuntimeException e) {
          log.error("publisher {} failed a loop; going on in {}", config.groupId(), ERROR_PAUSE, e);
          pause();
        }
      }
      handOver(Set.copyOf(consumer.assignment()), true);
      return null;
    } catch (WakeupException e) {
      return null;
    } catch (RuntimeException e) {
      if (closing) {
        return null;
      }
      fault = "error: " + e;
      log.error("publisher {} session ended on an error", config.groupId(), e);
      release();
      return fault;
    }
  }

  /**
   * Leaves the group after a fault: the partitions are treated as lost (no transaction can be
   * written; their journal entries stand for their next owner) and the consumer unsubscribes, so
   * other workers take them while this one waits to restart.
   */
  private void release() {
    try {
      rebalance.onPartitionsLost(Set.copyOf(consumer.assignment()));
      consumer.unsubscribe();
    } catch (RuntimeException e) {
      log.warn(
          "publisher {} could not release its partitions cleanly: {}",
          config.transactionalId(),
          e.toString());
    }
  }

  /** Stops polling, hands over unfinished tasks through the journal, and closes the clients. */
  @Override
  public void close() {
    closing = true;
    closeRequested.countDown();
    if (!running) {
      executor.shutdownNow();
      closeQuietly(consumer::close, "consumer");
      transactions.close(Duration.ZERO);
      return;
    }
    consumer.wakeup();
    try {
      if (!stopped.await(60, TimeUnit.SECONDS)) {
        log.warn("publisher {} did not stop within 60 s", config.transactionalId());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Makes sure a producer with initialized transactions exists; after it was rebuilt, rewinds the
   * consumer to the committed offsets and re-reads the journal (retried on the next loop if it
   * fails).
   */
  private void ensureProducer() {
    transactions.ensureReady(
        () -> {
          // As on assignment. Tasks running here are skipped.
          Set<TopicPartition> assigned = taskPartitions(consumer.assignment());
          rewindToCommitted(assigned);
          startRecovery(assigned);
        });
  }

  private void pollOnce() {
    pollStartedAt = clock.millis();
    ConsumerRecords<String, byte[]> records = consumer.poll(POLL_TIMEOUT);
    if (records.isEmpty()) {
      return;
    }
    List<Running> accepted = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> next = nextOffsets(records);
    long now = clock.millis();
    boolean journaled =
        transactions.transact(
            "journal " + records.count() + " task(s)",
            producer -> {
              accepted.clear();
              for (ConsumerRecord<String, byte[]> r : records) {
                PublishTask task = parse(r, producer);
                if (task == null) {
                  continue;
                }
                producer.send(journal.attempting(r.partition(), task, now));
                accepted.add(new Running(newRun(task, r.partition(), false, null), null));
              }
            },
            next);
    if (!journaled) {
      if (transactions.rebuildPending()) {
        // The commit may have happened: after the rebuild the journal tells; none was called.
        accepted.forEach(
            r ->
                neverCalled
                    .computeIfAbsent(r.run.partition(), p -> new HashMap<>())
                    .put(r.run.task().taskId(), now));
      }
      log.warn(
          "publisher {} could not journal {} task(s); they will be polled again",
          config.groupId(),
          records.count());
      rewind(records);
      return;
    }
    committed.putAll(next);
    for (Running r : accepted) {
      start(r);
    }
  }

  /** Ownership was confirmed by an event begun at {@code begunAt}: calls may start for a lease. */
  private void confirmOwnership(long begunAt) {
    if (begunAt > leaseFrom) {
      leaseFrom = begunAt;
      leaseUntil = begunAt + LEASE.toMillis();
    }
  }

  /** With tasks in progress, renews the lease once a third of it has passed. */
  private void renewLeaseIfDue() {
    if (active.isEmpty() || !transactions.ready()) {
      return;
    }
    long now = clock.millis();
    if (now < leaseFrom + LEASE.toMillis() / 3 || now < nextRenewalAttempt) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : consumer.assignment()) {
      OffsetAndMetadata o = committed.get(tp);
      if (o != null) {
        offsets.put(tp, o);
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    nextRenewalAttempt = now + RENEWAL_RETRY.toMillis();
    if (!transactions.transact("renew its lease", producer -> {}, offsets)) {
      log.warn(
          "publisher {} could not confirm it still owns {}; no call starts after {}",
          config.transactionalId(),
          offsets.keySet(),
          Instant.ofEpochMilli(leaseUntil));
    }
  }

  private Set<TopicPartition> taskPartitions(Collection<TopicPartition> partitions) {
    return partitions.stream()
        .filter(tp -> tp.topic().equals(taskTopic))
        .collect(Collectors.toSet());
  }

  /** Seeks {@code partitions} to their committed offsets (the beginning where none is). */
  private void rewindToCommitted(Set<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = consumer.committed(partitions);
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = offsets.get(tp);
      if (o != null) {
        consumer.seek(tp, o);
        committed.put(tp, o);
      } else {
        consumer.seekToBeginning(List.of(tp));
        committed.put(tp, new OffsetAndMetadata(consumer.position(tp)));
      }
    }
  }

  private void start(Running r) {
    if (active.putIfAbsent(r.run.task().taskId(), r) != null) {
      log.warn("task {} is already in progress here; not started twice", r.run.task().taskId());
      return;
    }
    lanes.submit(r.run.task().accountId(), r);
  }

  private TaskRun newRun(
      PublishTask task, int partition, boolean mayHaveReachedPlatform, Instant firstAttemptAt) {
    return new TaskRun(
        task,
        partition,
        mayHaveReachedPlatform,
        firstAttemptAt,
        config.backoff(),
        config.minReconcileWait(),
        () -> ThreadLocalRandom.current().nextDouble());
  }

  /** The task in {@code r}, or null after dead-lettering a record that holds none. */
  private PublishTask parse(ConsumerRecord<String, byte[]> r, Producer<String, byte[]> producer) {
    String problem;
    try {
      if (r.value() == null) {
        problem = "value is null, expected a PublishTask JSON object";
      } else {
        PublishTask task = Json.read(r.value(), PublishTask.class);
        if (task.platform().equals(config.platform().wireName())) {
          return task;
        }
        problem =
            "task "
                + task.taskId()
                + " is for platform '"
                + task.platform()
                + "', not "
                + config.platform().wireName();
      }
    } catch (RuntimeException e) {
      problem = e.getMessage();
    }
    log.warn(
        "dead-lettering malformed task at {}-{}@{}: {}",
        r.topic(),
        r.partition(),
        r.offset(),
        problem);
    producer.send(deadLetter(r, problem));
    return null;
  }

  /** Moves the outcomes the lanes finished into {@code unwritten}. */
  private void drainFinished() {
    for (Running r; (r = finished.poll()) != null; ) {
      unwritten.putIfAbsent(r.run.task().taskId(), r);
    }
  }

  /**
   * Writes the outcomes of finished tasks with their journal tombstones and the committed offsets
   * of their partitions, in one transaction (see "Fencing outcomes" above). An outcome stays
   * pending until a transaction holding it commits, or until its partition is taken from this
   * worker; one of a partition this worker does not own is dropped, never written.
   */
  private void flushFinished() {
    drainFinished();
    if (unwritten.isEmpty()) {
      return;
    }
    List<Running> done = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (Iterator<Running> it = unwritten.values().iterator(); it.hasNext(); ) {
      Running r = it.next();
      TopicPartition tp = new TopicPartition(taskTopic, r.run.partition());
      OffsetAndMetadata offset = committed.get(tp);
      if (offset == null) {
        it.remove();
        active.remove(r.run.task().taskId(), r);
        log.warn(
            "publisher {} drops the outcome of task {}: it no longer owns {}, whose next owner"
                + " resumes the task from the journal",
            config.transactionalId(),
            r.run.task().taskId(),
            tp);
        continue;
      }
      offsets.put(tp, offset);
      done.add(r);
    }
    if (done.isEmpty()) {
      return;
    }
    String outcomes = config.topics().outcomes().name();
    var serializer = config.topics().outcomes().valueSerde().serializer();
    boolean written =
        transactions.transact(
            "write " + done.size() + " outcome(s)",
            producer -> {
              for (Running r : done) {
                TargetOutcome o = r.outcome();
                producer.send(
                    new ProducerRecord<>(
                        outcomes, o.fingerprint(), serializer.serialize(outcomes, o)));
                producer.send(journal.tombstone(r.run.partition(), o.taskId()));
              }
            },
            offsets);
    if (!written) {
      log.warn(
          "publisher {} could not write {} outcome(s) yet; they stay pending",
          config.transactionalId(),
          done.size());
      return;
    }
    for (Running r : done) {
      unwritten.remove(r.run.task().taskId(), r);
      active.remove(r.run.task().taskId(), r);
      outcomesWritten.incrementAndGet();
    }
  }

  /**
   * Stops the tasks of {@code partitions}. When {@code owned} (a revocation, or a graceful
   * shutdown: this worker still owns them until the callback returns), lets no new call start,
   * waits up to {@link PublisherConfig#handOverWait} for the calls in progress to end, writes what
   * finished and journals the rest with what is known for the partitions' next owner (a call still
   * in progress after the wait as one that may have reached the platform). When not (the partitions
   * were lost: another member may own them already), waits for nothing and writes nothing. Either
   * way the outcomes of these partitions still unwritten afterwards are dropped: the journal
   * entries that stand make their next owner resume those tasks.
   */
  private void handOver(Set<TopicPartition> partitions, boolean owned) {
    Set<Integer> numbers =
        taskPartitions(partitions).stream()
            .map(TopicPartition::partition)
            .collect(Collectors.toSet());
    if (numbers.isEmpty()) {
      return;
    }
    List<Running> moving =
        active.values().stream().filter(r -> numbers.contains(r.run.partition())).toList();
    if (owned) {
      awaitCallsInProgress(moving, numbers);
    }
    Map<Running, HandOff> unfinished = new LinkedHashMap<>();
    for (Running r : moving) {
      HandOff h = r.handOver();
      if (h != null) {
        unfinished.put(r, h);
      }
    }
    if (owned) {
      flushFinished();
    } else {
      drainFinished();
    }
    int dropped = 0;
    for (Iterator<Running> it = unwritten.values().iterator(); it.hasNext(); ) {
      Running r = it.next();
      if (numbers.contains(r.run.partition())) {
        it.remove();
        dropped++;
      }
    }
    if (owned && !unfinished.isEmpty()) {
      long now = clock.millis();
      boolean rejournaled =
          transactions.transact(
              "re-journal " + unfinished.size() + " task(s) for the next owner",
              producer -> {
                for (Map.Entry<Running, HandOff> e : unfinished.entrySet()) {
                  Running r = e.getKey();
                  HandOff h = e.getValue();
                  producer.send(
                      journal.handOver(
                          r.run.partition(),
                          r.run.task(),
                          h.mayHaveReachedPlatform(),
                          now,
                          h.firstAttemptAt(),
                          h.exclusive()));
                }
              },
              Map.of());
      if (!rejournaled) {
        log.warn(
            "publisher {} could not re-journal {} task(s); their earlier journal entries stand",
            config.groupId(),
            unfinished.size());
      }
    }
    moving.forEach(r -> active.remove(r.run.task().taskId(), r));
    if (dropped > 0) {
      log.warn(
          "publisher {} dropped {} unwritten outcome(s) of partitions {} of {} it no longer owns;"
              + " their journal entries stand and the next owner resumes those tasks",
          config.transactionalId(),
          dropped,
          numbers,
          taskTopic);
    }
    if (!moving.isEmpty()) {
      log.info(
          "publisher {} handed over {} unfinished task(s) of partitions {}",
          config.transactionalId(),
          unfinished.size(),
          numbers);
    }
  }

  /**
   * Stops new calls of {@code moving} and waits, up to {@link PublisherConfig#handOverWait} on the
   * worker's clock, for the steps (each at most one platform call) in progress to end. Holds no
   * lock while it waits: a call ending takes only its own run's lock, and its outcome goes to the
   * finished queue, written after the wait in the hand-over's transaction. Looks at the clock at
   * least every {@link #HAND_OVER_RECHECK}.
   */
  private void awaitCallsInProgress(List<Running> moving, Set<Integer> numbers) {
    List<CompletableFuture<Void>> steps = new ArrayList<>();
    for (Running r : moving) {
      CompletableFuture<Void> ended = r.stopCalls();
      if (ended != null) {
        steps.add(ended);
      }
    }
    Duration bound = config.handOverWait();
    if (steps.isEmpty() || bound.isZero()) {
      return;
    }
    CompletableFuture<Void> all =
        CompletableFuture.allOf(steps.toArray(new CompletableFuture<?>[0]));
    long until = clock.millis() + bound.toMillis();
    log.info(
        "publisher {} waits up to {} for {} call(s) in progress on partitions {} of {} before"
            + " handing them over",
        config.transactionalId(),
        bound,
        steps.size(),
        numbers,
        taskTopic);
    while (!all.isDone()) {
      long left = until - clock.millis();
      handOverWaitLooks.incrementAndGet();
      if (left <= 0) {
        break;
      }
      try {
        all.get(Math.min(left, HAND_OVER_RECHECK.toMillis()), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // Look at the clock again.
      } catch (ExecutionException e) {
        break; // Never completed exceptionally; nothing more to wait for.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closing = true;
        break;
      }
    }
    long stillRunning = steps.stream().filter(f -> !f.isDone()).count();
    if (stillRunning > 0) {
      log.warn(
          "publisher {} hands over {} task(s) of partitions {} of {} whose call is still in"
              + " progress after {}: their next owner reconciles them",
          config.transactionalId(),
          stillRunning,
          numbers,
          taskTopic,
          bound);
    }
  }

  /**
   * Starts the recovery of newly assigned partitions (or, after a producer rebuild, of every
   * assigned one): each is paused until its committed offset is known and its journal partition
   * read to its end, which {@link #advanceRecovery} does a slice per loop.
   */
  private void startRecovery(Collection<TopicPartition> assigned) {
    Instant now = clock.instant();
    List<TopicPartition> tasks = List.copyOf(taskPartitions(assigned));
    if (tasks.isEmpty()) {
      return;
    }
    consumer.pause(tasks);
    for (TopicPartition tp : tasks) {
      recovery.cancel(List.of(tp.partition()));
      awaitingPosition.put(tp, now);
    }
    publishRecovering();
  }

  /** Stops the recovery of partitions taken from this worker. */
  private void stopRecovery(Collection<TopicPartition> partitions) {
    Set<TopicPartition> tasks = taskPartitions(partitions);
    awaitingPosition.keySet().removeAll(tasks);
    // Whoever owns them next may write their journal: what this worker knew of them is stale.
    tasks.forEach(tp -> neverCalled.remove(tp.partition()));
    recovery.cancel(tasks.stream().map(TopicPartition::partition).toList());
    publishRecovering();
  }

  /**
   * One step of the recovery of assigned partitions: looks up the committed offsets not known yet,
   * reads the journal for a slice, and resumes the open entries of each journal partition read to
   * its end, after which its task partition is polled again. Nothing here waits without bound.
   */
  private void advanceRecovery() {
    if (awaitingPosition.isEmpty() && recovery.isEmpty()) {
      return;
    }
    for (Iterator<Map.Entry<TopicPartition, Instant>> it = awaitingPosition.entrySet().iterator();
        it.hasNext(); ) {
      Map.Entry<TopicPartition, Instant> e = it.next();
      TopicPartition tp = e.getKey();
      try {
        // Fetches the committed offset with require_stable: waits out a pending transaction
        // that journals and commits offsets for this partition, so the journal read after it
        // holds that transaction's entries.
        committed.put(tp, new OffsetAndMetadata(consumer.position(tp, POSITION_TIMEOUT)));
      } catch (org.apache.kafka.common.errors.TimeoutException ex) {
        log.warn(
            "publisher {} could not read the committed offset of {} within {} (a transaction of"
                + " its previous owner may still be open); {} stays paused and is tried again",
            config.transactionalId(),
            tp,
            POSITION_TIMEOUT,
            tp);
        // One wait per loop: the others are tried on the next one.
        break;
      }
      it.remove();
      recovery.start(tp.partition(), e.getValue());
    }
    for (JournalRecovery.Recovered r : recovery.advance()) {
      resume(r);
    }
    publishRecovering();
  }

  /** Resumes the journaled attempts of a journal partition read to its end, in RECONCILE mode. */
  private void resume(JournalRecovery.Recovered recovered) {
    // Every call an earlier owner may still make ends by then (see the lease above): the
    // assignment came after that owner's last confirmation.
    Instant previousOwnerDone = recovered.startedAt().plus(LEASE).plus(callTimeout);
    int resumed = 0;
    int waiting = 0;
    for (Journal.Open o : recovered.open()) {
      JournalEntry entry = o.entry();
      if (active.containsKey(entry.task().taskId())) {
        continue;
      }
      boolean ownUncalled = isOwnUncalledEntry(o.partition(), entry);
      boolean reached = !ownUncalled && entry.mayHaveReachedPlatform();
      Long first = ownUncalled ? null : entry.firstAttemptAt();
      if (first == null && reached) {
        first = entry.journaledAt();
      }
      Instant notBefore = ownUncalled || entry.handedOver() ? null : previousOwnerDone;
      if (notBefore != null) {
        waiting++;
      }
      start(
          new Running(
              newRun(
                  entry.task(),
                  o.partition(),
                  reached,
                  first == null ? null : Instant.ofEpochMilli(first)),
              notBefore));
      resumed++;
    }
    neverCalled.remove(recovered.partition());
    if (resumed > 0) {
      log.info(
          "publisher {} resumed {} journaled attempt(s) from {}; {} of them wait until {} for an"
              + " earlier owner's calls to end",
          config.transactionalId(),
          resumed,
          journal.partition(recovered.partition()),
          waiting,
          previousOwnerDone);
    }
  }

  /**
   * Whether {@code entry}, read from journal partition {@code partition}, is the very attempting
   * entry this worker wrote in a journal transaction left in doubt, so that no call was made for
   * it. An entry written since by another worker (or by this one on a hand-over) is not: it is
   * reconciled like any other.
   */
  private boolean isOwnUncalledEntry(int partition, JournalEntry entry) {
    Long journaledAt = neverCalled.getOrDefault(partition, Map.of()).get(entry.task().taskId());
    return journaledAt != null
        && journaledAt == entry.journaledAt()
        && entry.holder().equals(config.transactionalId())
        && !entry.handedOver();
  }

  /** The task partitions whose recovery has not completed, for other threads to read. */
  private void publishRecovering() {
    Set<TopicPartition> now = new HashSet<>(awaitingPosition.keySet());
    for (int p : recovery.partitions()) {
      now.add(new TopicPartition(taskTopic, p));
    }
    if (!now.equals(recovering)) {
      recovering = Set.copyOf(now);
    }
  }

  /** Pauses every partition while too many tasks are held; else resumes all but recovering ones. */
  private void applyBackpressure() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (active.size() >= config.maxInFlight()) {
      consumer.pause(assigned);
      return;
    }
    Set<TopicPartition> resumable = new HashSet<>(consumer.paused());
    resumable.retainAll(assigned);
    resumable.removeAll(recovering);
    if (!resumable.isEmpty()) {
      consumer.resume(resumable);
    }
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
      ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> polled = records.records(partition);
      next.put(partition, new OffsetAndMetadata(polled.get(polled.size() - 1).offset() + 1));
    }
    return next;
  }

  private void rewind(ConsumerRecords<String, byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      try {
        consumer.seek(partition, records.records(partition).get(0).offset());
      } catch (RuntimeException e) {
        log.warn("publisher {} could not rewind {}: {}", config.groupId(), partition, e.toString());
      }
    }
  }

  private ProducerRecord<String, byte[]> deadLetter(
      ConsumerRecord<String, byte[]> record, String message) {
    Headers headers = new RecordHeaders(record.headers().toArray());
    for (String h :
        List.of(
            LmpHeaders.ERROR_CODE,
            LmpHeaders.ERROR_MESSAGE,
            LmpHeaders.ERROR_TOPIC,
            LmpHeaders.ERROR_PARTITION,
            LmpHeaders.ERROR_OFFSET)) {
      headers.remove(h);
    }
    headers.add(LmpHeaders.ERROR_CODE, utf8(MALFORMED_TASK));
    headers.add(LmpHeaders.ERROR_MESSAGE, utf8(String.valueOf(message)));
    headers.add(LmpHeaders.ERROR_TOPIC, utf8(record.topic()));
    headers.add(LmpHeaders.ERROR_PARTITION, utf8(Integer.toString(record.partition())));
    headers.add(LmpHeaders.ERROR_OFFSET, utf8(Long.toString(record.offset())));
    return new ProducerRecord<>(
        config.topics().deadLetters().name(), null, record.key(), record.value(), headers);
  }

  private void pause() {
    try {
      sleeper.sleep(ERROR_PAUSE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closing = true;
    }
  }

  private static void closeQuietly(Runnable close, String what) {
    try {
      close.run();
    } catch (RuntimeException e) {
      log.warn("could not close the publisher's {}: {}", what, e.toString());
    }
  }

  private static byte[] utf8(String value) {
    return value.getBytes(StandardCharsets.UTF_8);
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

  /** Hands over revoked partitions and resumes the journal of assigned ones. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      handOver(Set.copyOf(partitions), true);
      stopRecovery(partitions);
      committed.keySet().removeAll(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Another member may own them already: stop, but leave the journal as it is.
      leaseUntil = Long.MIN_VALUE;
      leaseFrom = Long.MIN_VALUE;
      handOver(Set.copyOf(partitions), false);
      stopRecovery(partitions);
      committed.keySet().removeAll(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // The assignment came with this poll: this member owned its partitions when it began.
      confirmOwnership(pollStartedAt);
      startRecovery(partitions);
    }
  }

  /**
   * What the next owner of a task's partition needs to know of it, as of its hand-over: whether a
   * call may have reached the platform, no later than when the first call was made (or null), and
   * whether no one but this worker could be calling it (no earlier owner, no call in progress).
   */
  private record HandOff(
      boolean mayHaveReachedPlatform, Instant firstAttemptAt, boolean exclusive) {}

  /** Why a run stops just before its call: it was handed over meanwhile. */
  private static final class HandedOver extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HandedOver() {
      super(null, null, false, false);
    }
  }

  /**
   * One task in progress: its run, and the lane job that drives it.
   *
   * <p>Locking: the lane thread owns {@code run}; the fields below are shared with the poll thread
   * and guarded by this object's lock, which is only ever held for a few field accesses, never
   * across a platform call, so a hand-over never blocks on one: it waits, bounded, only on the
   * step-ended future of {@link #stopCalls}.
   */
  private final class Running implements AccountLanes.Job {
    final TaskRun run;
    private Instant notBefore;
    private boolean handedOver;
    private TargetOutcome outcome;
    private boolean inCall;
    private boolean reached;
    private Instant firstAttempt;

    /** Set when its partition is being handed over cleanly: no further call starts. */
    private boolean stopping;

    /** A step (at most one call) is running on a lane thread. */
    private boolean stepping;

    /** Completed when the running step ends; made only when a hand-over waits for it. */
    private CompletableFuture<Void> stepEnded;

    /**
     * @param notBefore when an earlier owner's calls for this task can have ended, or null when no
     *     one else can be calling it
     */
    Running(TaskRun run, Instant notBefore) {
      this.run = run;
      this.notBefore = notBefore;
      this.reached = run.mayHaveReachedPlatform();
      this.firstAttempt = run.firstAttemptAt();
    }

    @Override
    public AccountLanes.Again runOnce() {
      synchronized (this) {
        if (handedOver || outcome != null || stopping) {
          return null;
        }
        stepping = true;
      }
      try {
        AccountLanes.Again again = step();
        if (again != null) {
          synchronized (this) {
            reached = run.mayHaveReachedPlatform();
            firstAttempt = run.firstAttemptAt();
          }
        }
        return again;
      } catch (HandedOver e) {
        return null;
      } catch (RuntimeException e) {
        log.error(
            "publisher {} failed on task {}; answering it", config.transactionalId(), taskId(), e);
        finish(crashOutcome(e));
        return null;
      } finally {
        CompletableFuture<Void> ended;
        synchronized (this) {
          stepping = false;
          ended = stepEnded;
        }
        if (ended != null) {
          ended.complete(null);
        }
      }
    }

    @Override
    public void crashed(RuntimeException e) {
      finish(crashOutcome(e));
    }

    /**
     * Makes the platform call without holding the lock; refuses it when the run was handed over.
     * While it runs, a hand-over tells the next owner that it may reach the platform and that this
     * worker may still be calling.
     */
    private CallResult callUnlocked(TaskRun.Mode mode, AccountAccess access) {
      synchronized (this) {
        if (handedOver || stopping) {
          throw new HandedOver();
        }
        inCall = true;
        reached = true;
        firstAttempt = run.firstAttemptAt();
      }
      try {
        return call(mode, run, access);
      } finally {
        synchronized (this) {
          inCall = false;
        }
      }
    }

    private String taskId() {
      return run.task().taskId();
    }

    private AccountLanes.Again step() {
      PublishTask task = run.task();
      Instant now = clock.instant();
      if (notBefore != null) {
        if (now.isBefore(notBefore)) {
          if (run.expired(now)) {
            finish(
                run.expire(
                    "an earlier owner's calls could still be in progress until " + notBefore));
            return null;
          }
          deferredForPreviousOwner.incrementAndGet();
          Instant recheck = now.plus(RECHECK);
          return new AccountLanes.Again(recheck.isBefore(notBefore) ? recheck : notBefore, false);
        }
        synchronized (this) {
          notBefore = null;
        }
      }
      AccountAccess access;
      try {
        access = taskAccess.resolve(task);
      } catch (TaskAccess.NoAccess e) {
        finish(
            run.mayHaveReachedPlatform()
                ? TargetOutcome.unknown(
                    task,
                    "cannot reconcile task "
                        + task.taskId()
                        + " after an interrupted call: "
                        + e.getMessage())
                : TargetOutcome.failed(task, new TargetError(e.code, e.getMessage(), false)));
        return null;
      }
      now = clock.instant();
      if (now.toEpochMilli() >= leaseUntil) {
        if (run.expired(now)) {
          finish(
              run.expire(
                  "publisher "
                      + config.transactionalId()
                      + " could not confirm it still owns partition "
                      + run.partition()
                      + " of "
                      + taskTopic));
          return null;
        }
        if (refusedForLease.getAndIncrement() % 100 == 0) {
          log.warn(
              "publisher {} starts no call for task {}: its lease on {} ran out at {}",
              config.transactionalId(),
              task.taskId(),
              taskTopic,
              Instant.ofEpochMilli(leaseUntil));
        }
        return new AccountLanes.Again(now.plus(RECHECK), true);
      }
      TaskRun.Next next = run.step(clock, mode -> callUnlocked(mode, access));
      if (next.isDone()) {
        finish(next.outcome());
        return null;
      }
      return new AccountLanes.Again(next.next(), next.holdAccount());
    }

    /** The outcome of a task whose run threw: failed if nothing can have been sent. */
    private TargetOutcome crashOutcome(RuntimeException e) {
      PublishTask task = run.task();
      String problem =
          e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      if (run.mayHaveReachedPlatform()) {
        return TargetOutcome.unknown(
            task,
            "publisher error on task "
                + task.taskId()
                + " after a call may have reached the platform ("
                + problem
                + ")");
      }
      return TargetOutcome.failed(
          task,
          new TargetError(
              ErrorCodes.PUBLISHER_ERROR,
              "publisher error on task "
                  + task.taskId()
                  + " for account "
                  + task.accountId()
                  + " before any call ("
                  + problem
                  + "); nothing was posted",
              false));
    }

    /**
     * Lets no further call of this run start, for a clean hand-over: a step in progress (and its
     * call) goes on, and its outcome, if it finishes, is kept. Returns what completes when that
     * step has ended, or null when none is running. Never waits.
     */
    synchronized CompletableFuture<Void> stopCalls() {
      stopping = true;
      if (!stepping || outcome != null) {
        return null;
      }
      if (stepEnded == null) {
        stepEnded = new CompletableFuture<>();
      }
      return stepEnded;
    }

    /**
     * Stops this run unless it has finished, without waiting for a call in progress (whose answer
     * is then discarded): what the next owner needs to know, or null when it had finished.
     */
    synchronized HandOff handOver() {
      if (outcome != null) {
        return null;
      }
      handedOver = true;
      return new HandOff(reached || inCall, firstAttempt, notBefore == null && !inCall);
    }

    synchronized TargetOutcome outcome() {
      return outcome;
    }

    /** Settles the run with {@code o}, unless it was handed over or has settled already. */
    private void finish(TargetOutcome o) {
      synchronized (this) {
        if (outcome != null) {
          return;
        }
        if (handedOver) {
          log.info(
              "task {} was handed over while its call was in progress; its answer ({}) is left to"
                  + " the partition's next owner, which reconciles it",
              o.taskId(),
              o.status());
          return;
        }
        outcome = o;
        reached = run.mayHaveReachedPlatform();
        firstAttempt = run.firstAttemptAt();
        // Under the lock: a hand-over that sees the outcome also finds the run queued.
        finished.add(this);
      }
      log.info(
          "task {} of batch {} for account {}: {}{}",
          o.taskId(),
          o.batchId(),
          run.task().accountId(),
          o.status(),
          o.error() == null
              ? " " + o.postId()
              : " " + o.error().code() + " (" + o.error().message() + ")");
    }
  }

  private CallResult call(TaskRun.Mode mode, TaskRun run, AccountAccess access) {
    PublishTask task = run.task();
    try {
      if (mode == TaskRun.Mode.PUBLISH) {
        return connector.publish(task, access);
      }
      Instant first = run.firstAttemptAt();
      return connector.reconcile(
          task, access, first != null ? first : Instant.ofEpochMilli(task.recordedAt()));
    } catch (CallFailure e) {
      throw e;
    } catch (RuntimeException e) {
      log.error(
          "connector {} failed on task {} ({}); treating the call's fate as unclear",
          connector.getClass().getSimpleName(),
          task.taskId(),
          mode,
          e);
      return new CallResult.Unclear(
          ErrorCodes.PLATFORM_ERROR,
          "connector error during "
              + mode.name().toLowerCase()
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }
}

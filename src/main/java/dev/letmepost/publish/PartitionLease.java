package dev.letmepost.publish;

import dev.letmepost.wire.TargetOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's hold on its task partitions: the lease that lets its jobs start platform calls, the
 * committed offsets of the partitions it owns, with which every outcome it writes is fenced, and
 * the hand-over of partitions revoked or lost. Its transactions ({@link #transactions()}) are what
 * confirm the lease. Used by the poll thread; {@link #until} by the lane threads.
 */
final class PartitionLease {
  /*
   * Zombies: the lease. A worker cut off from Kafka must stop starting platform calls (first
   * calls, retries, reconciles), and a new owner must not call before the old owner's calls can
   * have ended. A worker knows it still owned its partitions at time T when a transaction begun at
   * T that sent offsets with the consumer's group metadata committed (the group coordinator checks
   * a TxnOffsetCommit's generation and member id), or when a poll begun at T returned an
   * assignment. Such a confirmation grants a LEASE (5 s) from T: a call starts only while the
   * clock is before T + LEASE, checked on the calling thread just before the call (TaskJob). While
   * tasks are in progress the poll thread renews the lease (a transaction committing the current
   * offsets) once a third of it has passed, so a connected worker never lets it lapse; a worker
   * that cannot commit stops starting calls at most LEASE after its last confirmation. LEASE is
   * shorter than session.timeout.ms (10 s) and max.poll.interval.ms (5 min), so by the time the
   * group gives a silent worker's partitions away, that worker has already stopped starting calls.
   * How the new owner waits for the old one's calls: AssignmentRecovery.
   *
   * Rebalance. On revocation, and on a graceful shutdown (the member still owns the partitions
   * until the callback returns), no new call starts for the revoked partitions' tasks, and the
   * poll thread waits a bounded time (PublisherConfig.handOverWait, 10 s: far below
   * max.poll.interval.ms, within which the callback must return) for the calls in progress to end.
   * It waits on each job's step-ended future, holding no lock a call needs. Then the finished
   * tasks get their outcomes (fenced as below: in a transaction with their partitions' offsets and
   * the group metadata, before the callback returns), and every other task is re-journaled with
   * what is known for the next owner. A call still in progress after the bound is not waited for
   * any longer: its task is re-journaled as "may have reached the platform" and not exclusive (the
   * next owner waits until the call can have ended, then reconciles; `unknown` where the platform
   * cannot be reconciled), and the call's answer, when it comes, is discarded. Every platform call
   * has a whole-call deadline, so most calls end within the bound and keep their real outcome. No
   * lock the poll thread takes is held across a platform call (see TaskJob). On lost partitions
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
   */

  /** How long a confirmation of partition ownership lets this worker start calls. */
  static final Duration LEASE = Duration.ofSeconds(5);

  /** The longest a clean hand-over waiting for calls goes without looking at the clock again. */
  static final Duration HAND_OVER_RECHECK = Duration.ofMillis(50);

  private static final Duration RENEWAL_RETRY = LEASE.dividedBy(10);
  private static final Logger log = LoggerFactory.getLogger(PartitionLease.class);

  private final WorkerContext worker;
  private final PublisherConfig config;
  private final Clock clock;
  private final InFlight inFlight;
  private final Transactions transactions;

  /** Epoch ms until which calls may start; written by the poll thread. */
  private volatile long leaseUntil = Long.MIN_VALUE;

  // Poll thread only.
  private long leaseFrom = Long.MIN_VALUE;
  private long nextRenewalAttempt = Long.MIN_VALUE;

  /** The task partitions this worker owns, with their committed offsets. Poll thread only. */
  private final Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();

  // For outcomesWritten() and, in tests, handOverWaitLooks().
  private final AtomicInteger outcomesWritten = new AtomicInteger();
  private final AtomicInteger handOverWaitLooks = new AtomicInteger();

  /**
   * @param producers makes a new transactional producer each time one is needed
   */
  PartitionLease(WorkerContext worker, Supplier<Producer<String, byte[]>> producers) {
    this.worker = Objects.requireNonNull(worker, "worker");
    this.config = worker.config();
    this.clock = worker.clock();
    this.inFlight = worker.inFlight();
    this.transactions =
        new Transactions(
            config.transactionalId(),
            producers,
            worker.consumer()::groupMetadata,
            clock,
            this::confirm,
            () -> worker.closing().set(true));
  }

  /** The worker's transactions: every one that commits offsets confirms this lease. */
  Transactions transactions() {
    return transactions;
  }

  /** Epoch ms from which no call may start, until ownership is confirmed again. */
  long until() {
    return leaseUntil;
  }

  /** Ownership was confirmed by an event begun at {@code begunAt}: calls may start for a lease. */
  void confirm(long begunAt) {
    if (begunAt > leaseFrom) {
      leaseFrom = begunAt;
      leaseUntil = begunAt + LEASE.toMillis();
    }
  }

  /** Records the committed offsets of task partitions this worker owns. */
  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    committed.putAll(offsets);
  }

  /** With tasks in progress, renews the lease once a third of it has passed. */
  void renewIfDue() {
    if (inFlight.isEmpty() || !transactions.ready()) {
      return;
    }
    long now = clock.millis();
    if (now < leaseFrom + LEASE.toMillis() / 3 || now < nextRenewalAttempt) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : worker.consumer().assignment()) {
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

  /**
   * Writes the outcomes of finished tasks with their journal tombstones and the committed offsets
   * of their partitions, in one transaction (see "Fencing outcomes" above). An outcome stays
   * pending until a transaction holding it commits, or until its partition is taken from this
   * worker; one of a partition this worker does not own is dropped, never written.
   */
  void flushFinished() {
    List<TaskJob> done = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TaskJob j : inFlight.unwritten()) {
      TopicPartition tp = new TopicPartition(worker.taskTopic(), j.run.partition());
      OffsetAndMetadata offset = committed.get(tp);
      if (offset == null) {
        inFlight.release(j);
        log.warn(
            "publisher {} drops the outcome of task {}: it no longer owns {}, whose next owner"
                + " resumes the task from the journal",
            config.transactionalId(),
            j.taskId(),
            tp);
        continue;
      }
      offsets.put(tp, offset);
      done.add(j);
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
              for (TaskJob j : done) {
                TargetOutcome o = j.outcome();
                producer.send(
                    new ProducerRecord<>(
                        outcomes, o.fingerprint(), serializer.serialize(outcomes, o)));
                producer.send(worker.journal().tombstone(j.run.partition(), o.taskId()));
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
    for (TaskJob j : done) {
      inFlight.release(j);
      outcomesWritten.incrementAndGet();
    }
  }

  /**
   * Hands over task partitions this worker still owns until the callback returns (a revocation, or
   * a graceful shutdown): lets no new call start, waits up to {@link PublisherConfig#handOverWait}
   * for the calls in progress to end, writes what finished and journals the rest with what is known
   * for the partitions' next owner (a call still in progress after the wait as one that may have
   * reached the platform). The outcomes still unwritten afterwards are dropped: the journal entries
   * that stand make the next owner resume those tasks.
   */
  void handOver(Set<TopicPartition> partitions) {
    stop(partitions, true);
    committed.keySet().removeAll(partitions);
  }

  /**
   * Lets go of task partitions lost to this worker (another member may own them already): the lease
   * ends, their tasks stop at once, nothing is waited for and nothing written; their unwritten
   * outcomes are dropped and the journal entries that stand make the next owner resume them.
   */
  void lose(Set<TopicPartition> partitions) {
    leaseUntil = Long.MIN_VALUE;
    leaseFrom = Long.MIN_VALUE;
    stop(partitions, false);
    committed.keySet().removeAll(partitions);
  }

  /** The number of outcomes this worker has written. */
  int outcomesWritten() {
    return outcomesWritten.get();
  }

  /** How many times a clean hand-over looked at the clock while it waited for calls. */
  int handOverWaitLooks() {
    return handOverWaitLooks.get();
  }

  /**
   * Stops the tasks of {@code partitions}; {@code owned}: see {@link #handOver} and {@link #lose}.
   */
  private void stop(Set<TopicPartition> partitions, boolean owned) {
    Set<Integer> numbers =
        partitions.stream().map(TopicPartition::partition).collect(Collectors.toSet());
    if (numbers.isEmpty()) {
      return;
    }
    List<TaskJob> moving = inFlight.of(numbers);
    if (owned) {
      awaitCallsInProgress(moving, numbers);
    }
    Map<TaskJob, TaskJob.HandOff> unfinished = new LinkedHashMap<>();
    for (TaskJob j : moving) {
      TaskJob.HandOff h = j.handOver();
      if (h != null) {
        unfinished.put(j, h);
      }
    }
    if (owned) {
      flushFinished();
    }
    int dropped = inFlight.dropUnwritten(numbers);
    if (owned && !unfinished.isEmpty()) {
      rejournal(unfinished);
    }
    moving.forEach(inFlight::release);
    if (dropped > 0) {
      log.warn(
          "publisher {} dropped {} unwritten outcome(s) of partitions {} of {} it no longer owns;"
              + " their journal entries stand and the next owner resumes those tasks",
          config.transactionalId(),
          dropped,
          numbers,
          worker.taskTopic());
    }
    if (!moving.isEmpty()) {
      log.info(
          "publisher {} handed over {} unfinished task(s) of partitions {}",
          config.transactionalId(),
          unfinished.size(),
          numbers);
    }
  }

  /** Journals the unfinished tasks of a clean hand-over with what their next owner needs. */
  private void rejournal(Map<TaskJob, TaskJob.HandOff> unfinished) {
    long now = clock.millis();
    boolean rejournaled =
        transactions.transact(
            "re-journal " + unfinished.size() + " task(s) for the next owner",
            producer -> {
              for (Map.Entry<TaskJob, TaskJob.HandOff> e : unfinished.entrySet()) {
                TaskJob j = e.getKey();
                TaskJob.HandOff h = e.getValue();
                producer.send(
                    worker
                        .journal()
                        .handOver(
                            j.run.partition(),
                            j.run.task(),
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

  /**
   * Stops new calls of {@code moving} and waits, up to {@link PublisherConfig#handOverWait} on the
   * worker's clock, for the steps (each at most one platform call) in progress to end. Holds no
   * lock while it waits: a call ending takes only its own job's lock, and its outcome goes to the
   * finished queue, written after the wait in the hand-over's transaction. Looks at the clock at
   * least every {@link #HAND_OVER_RECHECK}.
   */
  private void awaitCallsInProgress(List<TaskJob> moving, Set<Integer> numbers) {
    List<CompletableFuture<Void>> steps = new ArrayList<>();
    for (TaskJob j : moving) {
      CompletableFuture<Void> ended = j.stopCalls();
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
        worker.taskTopic());
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
        worker.closing().set(true);
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
          worker.taskTopic(),
          bound);
    }
  }
}

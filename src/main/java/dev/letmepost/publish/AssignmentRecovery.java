package dev.letmepost.publish;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery of the task partitions assigned to a worker: each stays paused until its committed
 * offset is known and its journal partition read to its end ({@link JournalRecovery}), and then the
 * attempts left open in that journal partition are resumed, each not before an earlier owner's
 * calls for it can have ended. Used by the poll thread; {@link #partitions} by any thread.
 */
final class AssignmentRecovery {
  /*
   * The new owner. Every confirmation of the old owner's lease (PartitionLease) happened before
   * the coordinator gave the partition to the new owner, hence before the new owner's recovery at
   * A. So the old owner starts no call after A + LEASE, and its last call ends by A + LEASE +
   * callTimeout (the connector's requestsPerCall x (connect + request timeout)). The new owner
   * resumes an open entry only from A + LEASE + callTimeout, measured on its own clock (durations
   * only: no offset between hosts' clocks enters), rescheduling the job rather than holding a
   * thread. No wait is needed for an entry marked `handedOver`: written on a clean revocation by a
   * worker that was the only one able to call that task (it polled the task itself, or its own
   * wait had passed) and had stopped its calls. Nor for this worker's own attempts whose journal
   * transaction a producer rebuild left in doubt: calls start only after that commit, so none was
   * called; they resume in PUBLISH mode, but only while this worker kept their partitions and only
   * from the very entry it wrote (its holder and journaledAt): once a partition was revoked or
   * lost, another owner may have called and re-journaled the task. What is not covered: a call that
   * outlives its timeouts (a platform acting on a request long after the connection ended), and a
   * clock that jumps.
   */

  private static final Logger log = LoggerFactory.getLogger(AssignmentRecovery.class);
  private static final Duration POSITION_TIMEOUT = Duration.ofSeconds(5);

  private final WorkerContext worker;
  private final Consumer<String, byte[]> consumer;
  private final PartitionLease lease;
  private final TaskJob.Factory jobs;
  private final JournalRecovery journalRecovery;

  /**
   * Assigned task partitions whose committed offset is yet to be read before their journal is; with
   * the assignment time. Bounded by the assignment.
   */
  private final Map<TopicPartition, Instant> awaitingPosition = new LinkedHashMap<>();

  /** Assigned task partitions whose recovery has not completed; written by the poll thread. */
  private volatile Set<TopicPartition> recovering = Set.of();

  /**
   * This worker's own attempts whose journal transaction a producer rebuild left in doubt, so none
   * was called: by task partition number, task id and the journaledAt of the entry this worker
   * wrote. Trusted only for that very entry (same holder, same journaledAt), and only while this
   * worker keeps the partition: a partition's entries go when it is revoked or lost and once its
   * recovery has resumed them. Bounded by the records of the assigned partitions polled in
   * transactions left in doubt before their recovery completed.
   */
  private final Map<Integer, Map<String, Long>> neverCalled = new HashMap<>();

  /**
   * @param journalReaders makes a consumer to read the journal with (see {@link JournalRecovery})
   */
  AssignmentRecovery(
      WorkerContext worker,
      PartitionLease lease,
      TaskJob.Factory jobs,
      Supplier<Consumer<String, byte[]>> journalReaders) {
    this.worker = Objects.requireNonNull(worker, "worker");
    this.consumer = worker.consumer();
    this.lease = Objects.requireNonNull(lease, "lease");
    this.jobs = Objects.requireNonNull(jobs, "jobs");
    this.journalRecovery =
        new JournalRecovery(worker.journal(), journalReaders, worker.clock(), worker.holder());
  }

  /**
   * Starts the recovery of newly assigned task partitions: each is paused until its committed
   * offset is known and its journal partition read to its end, which {@link #advance} does a slice
   * per loop.
   */
  void start(Collection<TopicPartition> assigned) {
    Instant now = worker.clock().instant();
    List<TopicPartition> tasks = List.copyOf(assigned);
    if (tasks.isEmpty()) {
      return;
    }
    consumer.pause(tasks);
    for (TopicPartition tp : tasks) {
      journalRecovery.cancel(List.of(tp.partition()));
      awaitingPosition.put(tp, now);
    }
    publishRecovering();
  }

  /**
   * After the worker's producer was rebuilt, as on assignment: seeks every assigned task partition
   * to its committed offset (the beginning where none is) and recovers it again. Tasks running here
   * are skipped when their entries are read.
   */
  void restart(Set<TopicPartition> assigned) {
    if (assigned.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = consumer.committed(assigned);
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata o = offsets.get(tp);
      if (o != null) {
        consumer.seek(tp, o);
      } else {
        consumer.seekToBeginning(List.of(tp));
        o = new OffsetAndMetadata(consumer.position(tp));
      }
      lease.committed(Map.of(tp, o));
    }
    start(assigned);
  }

  /** Stops the recovery of task partitions taken from this worker. */
  void stop(Collection<TopicPartition> partitions) {
    awaitingPosition.keySet().removeAll(partitions);
    // Whoever owns them next may write their journal: what this worker knew of them is stale.
    partitions.forEach(tp -> neverCalled.remove(tp.partition()));
    journalRecovery.cancel(partitions.stream().map(TopicPartition::partition).toList());
    publishRecovering();
  }

  /**
   * Notes attempts this worker journaled at {@code journaledAt} in a transaction a producer rebuild
   * left in doubt: none of them was called.
   */
  void leftInDoubt(List<TaskJob> attempts, long journaledAt) {
    for (TaskJob j : attempts) {
      neverCalled
          .computeIfAbsent(j.run.partition(), p -> new HashMap<>())
          .put(j.taskId(), journaledAt);
    }
  }

  /**
   * One step of the recovery of assigned partitions: looks up the committed offsets not known yet,
   * reads the journal for a slice, and resumes the open entries of each journal partition read to
   * its end, after which its task partition is polled again. Nothing here waits without bound.
   */
  void advance() {
    if (awaitingPosition.isEmpty() && journalRecovery.isEmpty()) {
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
        lease.committed(Map.of(tp, new OffsetAndMetadata(consumer.position(tp, POSITION_TIMEOUT))));
      } catch (org.apache.kafka.common.errors.TimeoutException ex) {
        log.warn(
            "publisher {} could not read the committed offset of {} within {} (a transaction of"
                + " its previous owner may still be open); {} stays paused and is tried again",
            worker.holder(),
            tp,
            POSITION_TIMEOUT,
            tp);
        // One wait per loop: the others are tried on the next one.
        break;
      }
      it.remove();
      journalRecovery.start(tp.partition(), e.getValue());
    }
    for (JournalRecovery.Recovered r : journalRecovery.advance()) {
      resume(r);
    }
    publishRecovering();
  }

  /**
   * The task partitions assigned to this worker whose recovery (committed offset, then journal read
   * to its end) has not completed: their tasks are not polled yet.
   */
  Set<TopicPartition> partitions() {
    return recovering;
  }

  /** How many journal read slices have run. */
  long slices() {
    return journalRecovery.slices();
  }

  /** Stops every read and closes the journal reader; never throws. */
  void close() {
    journalRecovery.close();
  }

  /** Resumes the journaled attempts of a journal partition read to its end, in RECONCILE mode. */
  private void resume(JournalRecovery.Recovered recovered) {
    // Every call an earlier owner may still make ends by then (see the lease): the assignment
    // came after that owner's last confirmation.
    Instant previousOwnerDone =
        recovered.startedAt().plus(PartitionLease.LEASE).plus(jobs.callTimeout());
    int resumed = 0;
    int waiting = 0;
    for (Journal.Open o : recovered.open()) {
      JournalEntry entry = o.entry();
      if (worker.inFlight().holds(entry.task().taskId())) {
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
      worker
          .inFlight()
          .start(
              jobs.job(
                  entry.task(),
                  o.partition(),
                  reached,
                  first == null ? null : Instant.ofEpochMilli(first),
                  notBefore));
      resumed++;
    }
    neverCalled.remove(recovered.partition());
    if (resumed > 0) {
      log.info(
          "publisher {} resumed {} journaled attempt(s) from {}; {} of them wait until {} for an"
              + " earlier owner's calls to end",
          worker.holder(),
          resumed,
          worker.journal().partition(recovered.partition()),
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
        && entry.holder().equals(worker.holder())
        && !entry.handedOver();
  }

  /** The task partitions whose recovery has not completed, for other threads to read. */
  private void publishRecovering() {
    Set<TopicPartition> now = new HashSet<>(awaitingPosition.keySet());
    for (int p : journalRecovery.partitions()) {
      now.add(new TopicPartition(worker.taskTopic(), p));
    }
    if (!now.equals(recovering)) {
      recovering = Set.copyOf(now);
    }
  }
}

package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.testing.MutableClock;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The recovery of assigned partitions ({@link AssignmentRecovery}): open journal entries resumed by
 * reconciling, not before an earlier owner's calls can have ended; this worker's own attempts left
 * in doubt; journal reads that span several slices or fail.
 */
class AssignmentRecoveryTest extends WorkerHarness {
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
    clock.advance(PartitionLease.LEASE.plus(worker.callTimeout()));

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

    clock.set(reassignedAt.plus(PartitionLease.LEASE).plus(worker.callTimeout()));
    awaitWhileTimePasses(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("reconcile:t1");
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
    Instant previousOwnerDone = assignedAt.plus(PartitionLease.LEASE).plus(worker.callTimeout());

    // Read before the move: the move itself runs the job that is due.
    int seen = worker.deferredForPreviousOwner();
    clock.set(previousOwnerDone.minusMillis(1));
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.deferredForPreviousOwner() > seen);
    assertThat(connector.calls).isEmpty();

    clock.set(previousOwnerDone);
    awaitWhileTimePasses(() -> outcomes().size() == 1);
    assertThat(connector.calls).containsExactly("reconcile:t-orphan");
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
}

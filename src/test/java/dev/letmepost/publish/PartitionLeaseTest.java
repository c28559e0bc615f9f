package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.TargetOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The worker's hold on its partitions ({@link PartitionLease}): no call once its lease ran out, the
 * hand-over of revoked partitions (a bounded wait for calls in progress, the rest re-journaled),
 * lost partitions waited for by nothing, and outcomes written only for partitions it owns.
 */
class PartitionLeaseTest extends WorkerHarness {
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
    clock.advance(PartitionLease.LEASE.plusSeconds(1));
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
}

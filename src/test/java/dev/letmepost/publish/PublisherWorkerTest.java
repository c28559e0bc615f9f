package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.client.Backoff;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.junit.jupiter.api.Test;

/**
 * The worker end to end on mock Kafka clients: journal before call, outcome with tombstone,
 * malformed tasks, per-account lanes, no secret in any record or log line, and what becomes of its
 * transactions and its producer (commit timeouts, fatal errors, restarts, a fenced instance id).
 */
class PublisherWorkerTest extends WorkerHarness {
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
}

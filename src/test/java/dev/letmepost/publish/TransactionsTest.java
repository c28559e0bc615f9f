package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.publish.WorkerHarness.StrictProducer;
import dev.letmepost.testing.MutableClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * What becomes of a transaction on a producer that keeps KafkaProducer's rules: committed, the
 * commit retried after a timeout, aborted, or the producer rebuilt; and giving up on rebuilding.
 */
class TransactionsTest {
  static final String OUTCOMES = WorkerHarness.TOPICS.outcomes().name();
  static final Map<TopicPartition, OffsetAndMetadata> OFFSETS =
      Map.of(new TopicPartition(WorkerHarness.TASKS, 0), new OffsetAndMetadata(7));

  final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  final List<StrictProducer> producers = new ArrayList<>();
  final List<Long> confirmedAt = new ArrayList<>();
  final AtomicInteger interrupts = new AtomicInteger();
  final Transactions transactions =
      new Transactions(
          "lmp.publisher-mastodon-test",
          () -> {
            StrictProducer p = new StrictProducer();
            producers.add(p);
            return p;
          },
          () -> new ConsumerGroupMetadata("lmp.publisher-mastodon"),
          clock,
          confirmedAt::add,
          interrupts::incrementAndGet);
  final AtomicInteger afterRebuild = new AtomicInteger();

  boolean writeOutcome(Map<TopicPartition, OffsetAndMetadata> offsets) {
    return transactions.transact(
        "write 1 outcome(s)",
        p -> p.send(new ProducerRecord<>(OUTCOMES, "fp_1", new byte[] {1})),
        offsets);
  }

  void ensureReady() {
    transactions.ensureReady(afterRebuild::incrementAndGet);
  }

  @Test
  void aCommitWithOffsetsCommitsAndConfirmsOwnershipFromWhenItBegan() {
    ensureReady();
    long begunAt = clock.millis();

    assertThat(writeOutcome(OFFSETS)).isTrue();
    assertThat(writeOutcome(Map.of())).isTrue();

    StrictProducer p = producers.get(0);
    assertThat(p.history()).hasSize(2);
    assertThat(p.consumerGroupOffsetsHistory()).hasSize(1);
    assertThat(confirmedAt).as("only the commit with offsets confirms").containsExactly(begunAt);
    assertThat(afterRebuild).hasValue(0);
  }

  @Test
  void aCommitTimeoutIsRetriedAsACommitTheOnlyCallAllowedAfterIt() {
    ensureReady();
    StrictProducer p = producers.get(0);
    p.outcomeCommitFailures.add(new TimeoutException("EndTxn(COMMIT) timed out"));
    p.outcomeCommitFailures.add(new TimeoutException("EndTxn(COMMIT) timed out"));

    assertThat(writeOutcome(OFFSETS)).isTrue();

    assertThat(p.history()).hasSize(1);
    assertThat(p.illegalCalls).isEmpty();
    assertThat(transactions.rebuildPending()).isFalse();
    assertThat(producers).hasSize(1);
  }

  @Test
  void commitTimeoutsOnEveryRetryLeaveTheCommitToANewProducer() {
    ensureReady();
    StrictProducer first = producers.get(0);
    for (int i = 0; i < Transactions.COMMIT_ATTEMPTS; i++) {
      first.outcomeCommitFailures.add(new TimeoutException("EndTxn(COMMIT) timed out"));
    }

    assertThat(writeOutcome(OFFSETS)).isFalse();
    assertThat(transactions.rebuildPending()).isTrue();
    assertThat(transactions.ready()).isFalse();
    assertThat(writeOutcome(OFFSETS)).as("no transaction before the rebuild").isFalse();
    assertThat(first.illegalCalls).isEmpty();
    assertThat(confirmedAt).isEmpty();

    ensureReady();

    assertThat(first.closed()).isTrue();
    assertThat(producers).hasSize(2);
    assertThat(afterRebuild).hasValue(1);
    assertThat(writeOutcome(OFFSETS)).isTrue();
    assertThat(producers.get(1).history()).hasSize(1);
  }

  @Test
  void aFatalErrorAsksForANewProducerAndAnyOtherErrorAborts() {
    ensureReady();
    StrictProducer p = producers.get(0);
    p.outcomeCommitFailures.add(new KafkaException("the coordinator aborted it"));

    assertThat(writeOutcome(OFFSETS)).isFalse();
    assertThat(p.transactionAborted()).isTrue();
    assertThat(transactions.rebuildPending()).isFalse();

    p.outcomeCommitFailures.add(new ProducerFencedException("a newer producer"));
    assertThat(writeOutcome(OFFSETS)).isFalse();
    assertThat(transactions.rebuildPending()).isTrue();
    assertThat(p.history()).isEmpty();
  }

  @Test
  void fatalErrorsOnEveryProducerGiveUpAfterFiveRebuildsButACommitResetsTheCount() {
    ensureReady();
    for (int i = 0; i < Transactions.MAX_REBUILDS_IN_A_ROW; i++) {
      producers
          .get(producers.size() - 1)
          .outcomeCommitFailures
          .add(new ProducerFencedException("f"));
      assertThat(writeOutcome(OFFSETS)).isFalse();
      ensureReady();
    }
    assertThat(writeOutcome(OFFSETS)).as("a commit in between").isTrue();
    for (int i = 0; i < Transactions.MAX_REBUILDS_IN_A_ROW; i++) {
      producers
          .get(producers.size() - 1)
          .outcomeCommitFailures
          .add(new ProducerFencedException("f"));
      assertThat(writeOutcome(OFFSETS)).isFalse();
      ensureReady();
    }
    producers.get(producers.size() - 1).outcomeCommitFailures.add(new ProducerFencedException("f"));
    assertThat(writeOutcome(OFFSETS)).isFalse();

    assertThatThrownBy(this::ensureReady)
        .isInstanceOf(Transactions.GiveUp.class)
        .hasMessageContaining("failed fatally 5 times in a row")
        .hasMessageContaining("ProducerFencedException");
    assertThat(producers).hasSize(1 + 2 * Transactions.MAX_REBUILDS_IN_A_ROW);
    assertThat(afterRebuild).hasValue(2 * Transactions.MAX_REBUILDS_IN_A_ROW);
  }
}

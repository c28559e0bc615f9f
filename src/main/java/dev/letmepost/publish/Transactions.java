package dev.letmepost.publish;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher worker's transactional producer and what becomes of each of its transactions:
 * committed, aborted (what it carried is to be tried again), or left to a new producer, which this
 * class builds; and when to stop rebuilding. Used by the worker's poll thread only.
 */
final class Transactions {
  /*
   * KafkaProducer's documented rules (kafka-clients 4.4). Every transaction goes through
   * transact(), with beginTransaction and the sends inside its try. A TimeoutException (or
   * InterruptException) from commitTransaction does not mean the commit failed: the only allowed
   * next call is commitTransaction again (abortTransaction, beginTransaction or send would throw
   * IllegalStateException), so the commit is retried; after COMMIT_ATTEMPTS the only other option
   * is to close the producer. ProducerFenced, InvalidProducerEpoch, OutOfOrderSequence,
   * Authorization and UnsupportedVersion are fatal for the producer (ProducerErrors), and so is a
   * failing abortTransaction: the producer is closed and a new one built, whose initTransactions
   * completes or aborts what the old one left open. After a rebuild the worker's afterRebuild runs
   * (it rewinds the consumer to the committed offsets and reads the journal again, as on
   * assignment), retried on every ensureReady until it succeeds. Any other exception (KafkaException
   * or not) aborts the transaction. A FencedInstanceIdException (another worker with the same
   * instance id) is not handled here: it stops the worker.
   *
   * A transaction that did not commit answers false, and its caller keeps what it carried: no
   * failure path here drops anything. (If a commit left in doubt did complete, its records are
   * written twice by the retry; the worker's records are idempotent for their readers.)
   *
   * MAX_REBUILDS_IN_A_ROW fatal errors without a commit in between mean the producer cannot work
   * (e.g. a missing ACL): ensureReady throws GiveUp; the worker releases its partitions, reports
   * itself down, and after a backoff restart() lets it build producers again.
   */

  static final int COMMIT_ATTEMPTS = 3;
  static final int ABORT_ATTEMPTS = 3;
  static final int MAX_REBUILDS_IN_A_ROW = 5;

  private static final Logger log = LoggerFactory.getLogger(Transactions.class);

  /** What one transaction sends, through the producer it is given. */
  @FunctionalInterface
  interface Sends {
    void to(Producer<String, byte[]> producer);
  }

  /**
   * Why the worker's session ends (it restarts after a backoff): its producer kept failing fatally.
   */
  static final class GiveUp extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GiveUp(String message) {
      super(message, null, false, false);
    }
  }

  private final String transactionalId;
  private final Supplier<Producer<String, byte[]>> producers;
  private final Supplier<ConsumerGroupMetadata> groupMetadata;
  private final Clock clock;
  private final LongConsumer ownershipConfirmed;
  private final Runnable interrupted;

  private Producer<String, byte[]> producer;
  private boolean producerReady;
  private String rebuildReason;
  private boolean afterRebuildDue;
  private int rebuildsInARow;

  /**
   * @param producers makes a new transactional producer each time one is needed (first use, and
   *     after a fatal error)
   * @param groupMetadata the consumer's group metadata, sent with the offsets of a transaction
   * @param ownershipConfirmed told the epoch ms at which a transaction that committed offsets
   *     began: the consumer still owned their partitions then
   * @param interrupted told when a commit or abort was interrupted: the worker was asked to stop
   */
  Transactions(
      String transactionalId,
      Supplier<Producer<String, byte[]>> producers,
      Supplier<ConsumerGroupMetadata> groupMetadata,
      Clock clock,
      LongConsumer ownershipConfirmed,
      Runnable interrupted) {
    this.transactionalId = Objects.requireNonNull(transactionalId, "transactionalId");
    this.producers = Objects.requireNonNull(producers, "producers");
    this.groupMetadata = Objects.requireNonNull(groupMetadata, "groupMetadata");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ownershipConfirmed = Objects.requireNonNull(ownershipConfirmed, "ownershipConfirmed");
    this.interrupted = Objects.requireNonNull(interrupted, "interrupted");
  }

  /**
   * Makes sure a producer with initialized transactions exists: rebuilds it when a fatal error
   * asked for it, then runs {@code afterRebuild} (again on the next call if it throws).
   *
   * @throws GiveUp after {@link #MAX_REBUILDS_IN_A_ROW} rebuilds without a commit in between
   * @throws RuntimeException what initTransactions threw (a timeout is retried on the next call;
   *     anything else also asks for a new producer)
   */
  void ensureReady(Runnable afterRebuild) {
    if (rebuildReason != null) {
      if (++rebuildsInARow > MAX_REBUILDS_IN_A_ROW) {
        throw new GiveUp(
            "its producer failed fatally "
                + MAX_REBUILDS_IN_A_ROW
                + " times in a row without a commit in between; last: "
                + rebuildReason);
      }
      log.warn(
          "publisher {} closes its producer and builds a new one: {}",
          transactionalId,
          rebuildReason);
      close(Duration.ZERO);
      producer = null;
      producerReady = false;
      rebuildReason = null;
      afterRebuildDue = true;
    }
    if (producer == null) {
      producer = producers.get();
    }
    if (!producerReady) {
      try {
        producer.initTransactions();
      } catch (TimeoutException | InterruptException e) {
        // Documented as safe to retry: the worker pauses and calls initTransactions again.
        throw e;
      } catch (RuntimeException e) {
        rebuildReason = "initTransactions failed: " + e;
        throw e;
      }
      producerReady = true;
    }
    if (afterRebuildDue) {
      afterRebuild.run();
      afterRebuildDue = false;
    }
  }

  /**
   * After {@link GiveUp}, for the worker's next session: the rebuilds start counting again from
   * zero, and the next {@link #ensureReady} builds a new producer.
   */
  void restart() {
    rebuildsInARow = 0;
    if (rebuildReason == null) {
      rebuildReason = "the worker restarts";
    }
  }

  /** Whether a transaction can be run now: the producer is ready and no rebuild is pending. */
  boolean ready() {
    return producerReady && rebuildReason == null;
  }

  /** Whether a fatal error asked for a new producer, which the next {@link #ensureReady} builds. */
  boolean rebuildPending() {
    return rebuildReason != null;
  }

  /**
   * Runs one transaction: {@code sends} and, when {@code offsets} is not empty, the consumed
   * offsets with the consumer's group metadata. True when it committed; false when it did not (it
   * was aborted, or the producer is to be rebuilt), so what it carried must be tried again. A
   * commit with offsets confirms ownership from the moment the transaction began.
   *
   * @throws FencedInstanceIdException when another worker joined with the same instance id
   */
  boolean transact(String what, Sends sends, Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!ready()) {
      return false;
    }
    long begunAt = clock.millis();
    try {
      producer.beginTransaction();
      sends.to(producer);
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, groupMetadata.get());
      }
    } catch (FencedInstanceIdException e) {
      throw e;
    } catch (RuntimeException e) {
      return notCommitted(what, e);
    }
    for (int attempt = 1; ; attempt++) {
      try {
        producer.commitTransaction();
        break;
      } catch (TimeoutException | InterruptException e) {
        if (ProducerErrors.clearInterrupt(e)) {
          interrupted.run();
        }
        if (attempt >= COMMIT_ATTEMPTS) {
          rebuild(
              what
                  + ": commitTransaction timed out "
                  + attempt
                  + " times (the commit may still complete; the new producer's initTransactions"
                  + " settles it)");
          return false;
        }
        log.warn(
            "publisher {} could not {}: commitTransaction timed out (attempt {} of {}); retrying"
                + " the commit, the only call allowed after a commit timeout: {}",
            transactionalId,
            what,
            attempt,
            COMMIT_ATTEMPTS,
            e.toString());
      } catch (RuntimeException e) {
        return notCommitted(what, e);
      }
    }
    rebuildsInARow = 0;
    if (!offsets.isEmpty()) {
      ownershipConfirmed.accept(begunAt);
    }
    return true;
  }

  /** Closes the producer, if there is one, waiting up to {@code timeout}; never throws. */
  void close(Duration timeout) {
    Producer<String, byte[]> p = producer;
    if (p == null) {
      return;
    }
    try {
      p.close(timeout);
    } catch (RuntimeException e) {
      log.warn("could not close the publisher's producer: {}", e.toString());
    }
  }

  /**
   * After a failure before or in the commit: aborts, or asks for a new producer when the error is
   * fatal or the abort fails (the producer's state is then unknown).
   */
  private boolean notCommitted(String what, RuntimeException e) {
    if (ProducerErrors.isFatal(e)) {
      rebuild(what + ": " + e);
      return false;
    }
    log.warn(
        "publisher {} could not {}; aborting the transaction: {}",
        transactionalId,
        what,
        e.toString());
    for (int attempt = 1; ; attempt++) {
      try {
        producer.abortTransaction();
        return false;
      } catch (TimeoutException | InterruptException t) {
        if (ProducerErrors.clearInterrupt(t)) {
          interrupted.run();
        }
        if (attempt >= ABORT_ATTEMPTS) {
          rebuild(what + ": abortTransaction timed out " + attempt + " times");
          return false;
        }
      } catch (RuntimeException t) {
        rebuild(what + ": abortTransaction failed after " + e + ": " + t);
        return false;
      }
    }
  }

  private void rebuild(String reason) {
    if (rebuildReason == null) {
      rebuildReason = reason;
    }
  }
}

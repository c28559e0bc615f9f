package dev.letmepost.publish;

import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * How a publisher worker reads a transactional producer's errors: which are fatal (the producer
 * must be closed and a new one built) and what an interrupt during a commit or abort leaves behind.
 */
final class ProducerErrors {
  private ProducerErrors() {}

  /** The producer errors after which the only option is to close it. */
  static boolean isFatal(RuntimeException e) {
    return e instanceof ProducerFencedException
        || e instanceof InvalidProducerEpochException
        || e instanceof OutOfOrderSequenceException
        || e instanceof AuthorizationException
        || e instanceof UnsupportedVersionException;
  }

  /**
   * For a timeout or interrupt from commitTransaction or abortTransaction: when it is Kafka's
   * {@link InterruptException}, clears the thread's interrupt flag (so the retry can run) and
   * answers true, meaning the worker was asked to stop.
   */
  static boolean clearInterrupt(RuntimeException e) {
    if (e instanceof InterruptException) {
      Thread.interrupted();
      return true;
    }
    return false;
  }
}

package dev.letmepost.ledger;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's last line against a record too large to write: it is logged, naming its topic and
 * size, and skipped, instead of stopping the stream thread (and, as the task moves, every instance
 * in turn). {@link dev.letmepost.command.Limits} keeps every record the ledger derives under the
 * ceiling, so this is never meant to fire. Every other production error is Streams' default's: a
 * retriable one (a broker restarting: {@code NotLeaderOrFollowerException}, {@code
 * NotEnoughReplicasException}, a send timeout) is retried, the task re-initialized from its
 * changelog and its open transaction aborted; any other fails the stream thread.
 */
public final class OversizeGuard extends DefaultProductionExceptionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(OversizeGuard.class);

  @Override
  public Response handleError(
      ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (exception instanceof RecordTooLargeException) {
      LOG.error(
          "skipping a record of {} bytes to {} (task {}): {}",
          record.value() == null ? 0 : record.value().length,
          record.topic(),
          context.taskId(),
          exception.getMessage());
      return Response.resume();
    }
    return super.handleError(context, record, exception);
  }
}

package dev.letmepost.ledger;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's last line against a record too large to write: it is logged, naming its topic and
 * size, and skipped, instead of stopping the stream thread (and, as the task moves, every instance
 * in turn). {@link dev.letmepost.command.Limits} keeps every record the ledger derives under the
 * ceiling, so this is never meant to fire; other production errors fail as by default.
 */
public final class OversizeGuard implements ProductionExceptionHandler {
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
    return Response.fail();
  }

  @Override
  public void configure(Map<String, ?> configs) {}
}

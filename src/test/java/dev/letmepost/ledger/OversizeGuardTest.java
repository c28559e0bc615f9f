package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/** {@link OversizeGuard}: what the ledger does when Kafka refuses a record it sends. */
class OversizeGuardTest {
  private final OversizeGuard guard = new OversizeGuard();
  private final ProducerRecord<byte[], byte[]> record =
      new ProducerRecord<>("lmp.publish-sandbox", new byte[] {1}, new byte[] {2, 3});

  OversizeGuardTest() {
    guard.configure(Map.of());
  }

  private static ErrorHandlerContext context() {
    return new DefaultErrorHandlerContext(
        null,
        "lmp.post-commands",
        0,
        7L,
        new RecordHeaders(),
        "decide",
        new TaskId(1, 0),
        0L,
        new byte[] {1},
        new byte[] {2});
  }

  @Test
  void aRecordTooLargeIsSkipped() {
    assertThat(
            guard.handleError(context(), record, new RecordTooLargeException("too large")).result())
        .isEqualTo(Result.RESUME);
  }

  /**
   * Regression: every error but a record too large answered FAIL, the retriable ones too, where
   * Streams' default retries them (the task re-initialized from its changelog, its transaction
   * aborted). A broker restart's send errors then killed the stream thread and, with no uncaught
   * exception handler, the whole ledger (RolesIT on CI: the gateway answered 503 ledger_unavailable
   * after node 2 came back).
   */
  @Test
  void aRetriableSendErrorDuringABrokerRestartIsRetriedNotFatal() {
    for (Exception e :
        new Exception[] {
          new NotLeaderOrFollowerException("leader moved"),
          new NotEnoughReplicasException("1 of 3 in sync"),
          new TimeoutException("expired before sent")
        }) {
      assertThat(guard.handleError(context(), record, e).result())
          .as(e.toString())
          .isEqualTo(Result.RETRY);
    }
  }

  @Test
  void anyOtherSendErrorStillFails() {
    assertThat(guard.handleError(context(), record, new InvalidTopicException("bad")).result())
        .isEqualTo(Result.FAIL);
  }
}

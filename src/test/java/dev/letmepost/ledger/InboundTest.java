package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The outcomes topic as the ledger reads it: a tick is told apart by its header alone. */
class InboundTest {
  private final org.apache.kafka.common.serialization.Serde<Inbound> serde = Inbound.serde();

  @Test
  void tickRoundTripsWithItsHeader() {
    RecordHeaders headers = new RecordHeaders();
    headers.add(Inbound.TICK_HEADER, new byte[] {1});
    byte[] bytes = serde.serializer().serialize("t", new Inbound.Tick(42L));
    assertThat(serde.deserializer().deserialize("t", headers, bytes))
        .isEqualTo(new Inbound.Tick(42L));
  }

  @Test
  void recordWithoutTheTickHeaderIsReadAsAnOutcome() {
    TargetOutcome outcome =
        new TargetOutcome(
            "task_1",
            "batch_1",
            "fp",
            1L,
            0,
            TargetOutcome.Status.failed,
            null,
            null,
            new TargetError("x", "y", false));
    byte[] bytes = serde.serializer().serialize("t", new Inbound.Outcome(outcome));
    assertThat(serde.deserializer().deserialize("t", new RecordHeaders(), bytes))
        .isEqualTo(new Inbound.Outcome(outcome));
  }
}

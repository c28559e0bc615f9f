package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An outcome written to another partition than its fingerprint's (a producer that does not
 * partition by murmur2: librdkafka's default is CRC32) is sent on to the partition that holds its
 * batch, once; before, the ledger ignored it as foreign and the target could only end {@code
 * unknown}. A TopologyTestDriver has one partition (0), so "another partition" is a fingerprint
 * whose murmur2 partition is not 0 and whose batch is not in the store; {@code MisroutedOutcomeIT}
 * shows the whole path on a broker.
 */
class MisroutedOutcomeTest {
  private LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger = new LedgerHarness();
    ledger.account("acc_sb", "sandbox");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  @Test
  void anOutcomeReadOffItsFingerprintsPartitionIsSentOnThereOnceThenDeadLettered() {
    TargetOutcome o = outcomeWithFingerprint(p -> p != 0);
    int home = ActionKeys.partition(o.fingerprint(), ledger.config.partitions());

    ledger.outcome(o, T0);

    List<TestRecord<String, byte[]>> sentOn = ledger.ticks();
    assertThat(sentOn).hasSize(1);
    assertThat(sentOn.get(0).key()).isEqualTo(o.fingerprint());
    assertThat(header(sentOn.get(0), Inbound.REROUTED_HEADER)).isEqualTo("0");
    // The driver reads it back on partition 0 again, as only a wrong partition count could make a
    // broker do: it is a dead letter naming the partitions, not a loop.
    List<TestRecord<byte[], byte[]>> dead = ledger.deadLetters();
    assertThat(dead).hasSize(1);
    assertThat(new String(dead.get(0).key(), StandardCharsets.UTF_8)).isEqualTo(o.fingerprint());
    assertThat(header(dead.get(0), LmpHeaders.ERROR_CODE)).isEqualTo("misrouted_outcome");
    assertThat(header(dead.get(0), LmpHeaders.ERROR_MESSAGE))
        .contains(o.taskId())
        .contains("sent on from partition 0 and read again on partition 0")
        .contains("not its fingerprint's partition " + home + " of 6");
    assertThat(ledger.results()).isEmpty();
  }

  @Test
  void anOutcomeOnItsOwnPartitionWhoseBatchIsGoneIsIgnoredAsBefore() {
    ledger.outcome(outcomeWithFingerprint(p -> p == 0), T0);

    assertThat(ledger.ticks()).isEmpty();
    ledger.assertNothingElseEmitted();
  }

  @Test
  void anOutcomeWhoseBatchIsHereIsFoldedWhateverItsPartition() {
    ledger.command(body("acc_sb")).key("K1").request("req-1").at(T0).send();
    PublishTask task = ledger.tasks(Platform.SANDBOX).get(0);

    ledger.publishedOutcome(task, T0.plusSeconds(1));

    assertThat(LedgerHarness.json(ledger.onlyResult().value()).at("/results/0/status").asText())
        .isEqualTo("published");
    assertThat(ledger.ticks()).isEmpty();
  }

  @Test
  void theOutcomeIsSentToThePartitionKafkasJavaProducerWouldHaveChosen() {
    for (int partitions : new int[] {1, 3, 6, 7, 64}) {
      for (int i = 0; i < 200; i++) {
        String fingerprint = "fp-" + i;
        assertThat(
                Inbound.reroutePartitioner()
                    .partitions("lmp.target-outcomes", fingerprint, null, partitions))
            .contains(
                Set.of(
                    BuiltInPartitioner.partitionForKey(
                        fingerprint.getBytes(StandardCharsets.UTF_8), partitions)));
      }
    }
  }

  /** An outcome of a batch this ledger never saw, for a fingerprint whose partition passes. */
  private TargetOutcome outcomeWithFingerprint(IntPredicate partition) {
    for (int i = 0; ; i++) {
      String fingerprint = "f".repeat(60) + String.format("%04x", i);
      if (partition.test(ActionKeys.partition(fingerprint, ledger.config.partitions()))) {
        return new TargetOutcome(
            "task_x" + i,
            "batch_x" + i,
            fingerprint,
            T0.toEpochMilli(),
            0,
            TargetOutcome.Status.published,
            "post-x",
            "sandbox://x",
            null);
      }
    }
  }
}

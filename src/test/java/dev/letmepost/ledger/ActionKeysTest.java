package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Command;
import dev.letmepost.command.CommandSerde;
import dev.letmepost.command.Hashing;
import dev.letmepost.wire.ByteString;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

/**
 * The keys a batch action derives land where they must (docs/contract.md#batch-actions), by the
 * same partitioner Kafka's producers use, and the same inputs derive the same key; the action
 * commands on the by-batch repartition read back what was written.
 */
class ActionKeysTest {
  @Test
  void partitionIsKafkasDefaultPartitionerOfTheKeysUtf8Bytes() {
    for (String key : new String[] {"a", "batch_01M8RWNJ9S27QTA5NA8DD24BV5", "f".repeat(64)}) {
      assertThat(ActionKeys.partition(key, 6))
          .isEqualTo(BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 6));
    }
  }

  @Test
  void recordKeyLandsInTheBatchsPartitionAndIsTheSameOnEveryRetry() {
    String action = Hashing.fingerprint("key_alice", "POST", "/v1/batches/b/retry", "K");
    for (int p = 0; p < 6; p++) {
      String key = ActionKeys.recordKey(action, p, 6);
      assertThat(ActionKeys.partition(key, 6)).isEqualTo(p);
      assertThat(key).startsWith(action + "~").isEqualTo(ActionKeys.recordKey(action, p, 6));
    }
  }

  @Test
  void retryBatchIdIsABatchIdInTheOriginalsByBatchPartition() {
    for (int p = 0; p < 6; p++) {
      String id = ActionKeys.retryBatchId("fp~0", 1_764_590_400_000L, p, 6);
      assertThat(id).matches("batch_[0-9A-HJKMNP-TV-Z]{26}");
      assertThat(ActionKeys.partition(id, 6)).isEqualTo(p);
      assertThat(ActionKeys.retryBatchId("fp~0", 1_764_590_400_000L, p, 6)).isEqualTo(id);
    }
    assertThat(ActionKeys.retryBatchId("fp~0", 1L, 0, 1))
        .isNotEqualTo(ActionKeys.retryBatchId("fp~1", 1L, 0, 1));
  }

  @Test
  void aBatchIdIsInThePartitionOfItsFingerprintSoAnActionNamingItReachesItsTask() {
    for (int n : new int[] {1, 3, 6, 64}) {
      for (int k = 0; k < 200; k++) {
        String fingerprint = "fp-" + k;
        long firstSeen = 1_764_590_400_000L + k;
        String id = Decisions.batchId(fingerprint, firstSeen, n);
        assertThat(id).matches("batch_[0-9A-Z]{26}");
        assertThat(ActionKeys.partition(id, n))
            .as("partition of %s among %d", id, n)
            .isEqualTo(ActionKeys.partition(fingerprint, n));
        assertThat(Decisions.batchId(fingerprint, firstSeen, n)).as("deterministic").isEqualTo(id);
      }
    }
    // With one partition the first candidate always fits: the ids of single-partition ledgers are
    // those of the previous version.
    assertThat(Decisions.batchId("fp", 1L, 1))
        .isEqualTo(
            "batch_"
                + dev.letmepost.command.Hashing.ulid(
                    1L, dev.letmepost.command.Hashing.lengthPrefixed("fp", "1")));
  }

  /**
   * Batch ids, record keys and retry batch ids are in the stores and on the topics: the one search
   * they share ({@link ActionKeys#firstInPartition}) derives what each one's own loop derived
   * before, past the first candidate too.
   */
  @Test
  void derivedValuesAreThoseOfTheLoopsTheSearchReplaced() {
    assertThat(Decisions.batchId("fp-golden", 1_764_590_400_000L, 6))
        .isEqualTo("batch_01KBCWHCG0VWX1J9Z52RQ4583G");
    assertThat(ActionKeys.recordKey("action-golden", 4, 6)).isEqualTo("action-golden~5");
    assertThat(ActionKeys.retryBatchId("fp~0", 1_764_590_400_000L, 5, 6))
        .isEqualTo("batch_01KBCWHCG09VF0PAAVJRWYEQ1B");
  }

  @Test
  void actionCommandsReadBackAsWrittenFromTheByBatchRepartition() {
    var serde = new CommandSerde();
    Command c =
        new Command(
            "req_1",
            "key_alice",
            "DELETE",
            "/v1/batches/b",
            "K",
            "fp",
            "sha",
            ByteString.copyOf(new byte[] {1, 2}),
            null);
    byte[] bytes = serde.serializer().serialize("t", c);
    assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(c);
  }
}

package dev.letmepost.ledger;

import dev.letmepost.command.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;
import org.apache.kafka.common.utils.Utils;

/**
 * The keys a batch action derives so that everything it makes lands in the ledger task that owns
 * its batch (docs/contract.md#batch-actions): the key its replay record is filed under, and the id
 * of the batch a retry starts.
 *
 * <p>A key's partition is the one Kafka's default partitioner gives its UTF-8 bytes (murmur2), as
 * for the by-fingerprint repartition, the target-outcomes topic the publishers write and the
 * by-batch repartition (as for a post's batch id, {@link Decisions#batchId}); each derived value is
 * the first of a deterministic sequence of candidates whose partition is the one required (about
 * {@code partitions} tries), so every retry of an action derives the same value.
 */
final class ActionKeys {
  private ActionKeys() {}

  /** The partition of {@code key} among {@code partitions}, as Kafka's default partitioner. */
  static int partition(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /**
   * The first of the candidates {@code candidate.apply(0)}, {@code candidate.apply(1)}, ... whose
   * partition among {@code partitions} is {@code partition}: about {@code partitions} tries.
   */
  static String firstInPartition(int partition, int partitions, IntFunction<String> candidate) {
    for (int i = 0; ; i++) {
      String c = candidate.apply(i);
      if (partition(c, partitions) == partition) {
        return c;
      }
    }
  }

  /**
   * The key an action's replay record is filed under: {@code actionFingerprint} (principal, method,
   * path, key) + {@code ~} + the first counter that puts it in {@code partition}, the partition of
   * the batch the action is about. A retry's new batch is filed under it, so the publishers'
   * outcomes, keyed by it, come back to the task that holds the batch.
   */
  static String recordKey(String actionFingerprint, int partition, int partitions) {
    return firstInPartition(partition, partitions, i -> actionFingerprint + "~" + i);
  }

  /**
   * The id of the batch a retry starts: {@code batch_} + a ULID of {@code firstSeen} and SHA-256 of
   * the record key, the time and the first counter that puts the id in {@code partition} (the
   * partition of the batch it retries), so that actions on the new batch reach this task too.
   */
  static String retryBatchId(String recordKey, long firstSeen, int partition, int partitions) {
    String seen = Long.toString(firstSeen);
    return firstInPartition(
        partition,
        partitions,
        i ->
            "batch_"
                + Hashing.ulid(
                    firstSeen,
                    Hashing.lengthPrefixed("lmp-retry", recordKey, seen, Integer.toString(i))));
  }
}

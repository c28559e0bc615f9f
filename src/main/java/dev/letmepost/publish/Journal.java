package dev.letmepost.publish;

import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher worker's journal {@code lmp.publisher-journal.<platform>}: the records it writes (an
 * attempting entry before calling, a hand-over entry for the next owner, the tombstone with the
 * outcome), all keyed by task id in the task's partition number, and the entries read back ({@link
 * JournalRecovery} reads them).
 */
final class Journal {
  private static final Logger log = LoggerFactory.getLogger(Journal.class);

  /** An open journal entry and the partition it was read from. */
  record Open(int partition, JournalEntry entry) {}

  private final String topic;
  private final String holder;

  /**
   * @param holder the transactional id written into this worker's entries
   */
  Journal(String topic, String holder) {
    this.topic = topic;
    this.holder = holder;
  }

  /** The journal partition of the task partition numbered {@code partition}. */
  TopicPartition partition(int partition) {
    return new TopicPartition(topic, partition);
  }

  /**
   * The entry written before any call: conservative on purpose, it says the call may have reached
   * the platform, so a crash at any later point must reconcile.
   */
  ProducerRecord<String, byte[]> attempting(int partition, PublishTask task, long now) {
    return record(partition, new JournalEntry(task, true, holder, now, now, false));
  }

  /** The entry that hands an unfinished task over to the partition's next owner. */
  ProducerRecord<String, byte[]> handOver(
      int partition,
      PublishTask task,
      boolean mayHaveReachedPlatform,
      long now,
      Instant firstAttemptAt,
      boolean exclusive) {
    return record(
        partition,
        new JournalEntry(
            task,
            mayHaveReachedPlatform,
            holder,
            now,
            firstAttemptAt == null ? null : firstAttemptAt.toEpochMilli(),
            exclusive));
  }

  /** The tombstone written with a task's outcome: the attempt is settled. */
  ProducerRecord<String, byte[]> tombstone(int partition, String taskId) {
    return new ProducerRecord<>(topic, partition, taskId, (byte[]) null);
  }

  /**
   * The entries in {@code records} (the last record of each open task id in a journal partition),
   * as read back; an unreadable entry is logged and skipped.
   */
  List<Open> parse(Collection<ConsumerRecord<String, byte[]>> records) {
    List<Open> entries = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        entries.add(new Open(r.partition(), Json.read(r.value(), JournalEntry.class)));
      } catch (RuntimeException e) {
        log.error(
            "journal entry {} at {}-{}@{} is unreadable and is skipped: {}",
            r.key(),
            r.topic(),
            r.partition(),
            r.offset(),
            e.getMessage());
      }
    }
    return entries;
  }

  private ProducerRecord<String, byte[]> record(int partition, JournalEntry entry) {
    return new ProducerRecord<>(topic, partition, entry.task().taskId(), Json.write(entry));
  }
}

package dev.letmepost.publish;

import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A publisher worker's journal {@code lmp.publisher-journal.<platform>}: the records it writes (an
 * attempting entry before calling, a hand-over entry for the next owner, the tombstone with the
 * outcome), all keyed by task id in the task's partition number, and the reading of the entries
 * still open on partitions it is assigned.
 */
final class Journal {
  private static final Logger log = LoggerFactory.getLogger(Journal.class);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  /** An open journal entry and the partition it was read from. */
  record Open(int partition, JournalEntry entry) {}

  private final String topic;
  private final String holder;
  private final Supplier<Consumer<String, byte[]>> readers;

  /**
   * @param holder the transactional id written into this worker's entries
   * @param readers makes a consumer to read the journal with, one per read
   */
  Journal(String topic, String holder, Supplier<Consumer<String, byte[]>> readers) {
    this.topic = topic;
    this.holder = holder;
    this.readers = readers;
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
   * The entries without tombstone in {@code partitions} (journal partitions), read from the
   * beginning to the end offsets as of now; an unreadable entry is logged and skipped.
   *
   * @throws IllegalStateException when the partitions cannot be read to their end in 60 s
   */
  List<Open> readOpen(List<TopicPartition> partitions) {
    Map<String, ConsumerRecord<String, byte[]>> open = new HashMap<>();
    try (Consumer<String, byte[]> reader = readers.get()) {
      reader.assign(partitions);
      reader.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = reader.endOffsets(partitions);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (partitions.stream().anyMatch(p -> reader.position(p) < end.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read journal partitions " + partitions + " to their end");
        }
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
          if (r.value() == null) {
            open.remove(r.key());
          } else {
            open.put(r.key(), r);
          }
        }
      }
    }
    List<Open> entries = new ArrayList<>();
    for (ConsumerRecord<String, byte[]> r : open.values()) {
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

package dev.letmepost.publish;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reading of a worker's journal partitions after an assignment, one bounded slice per call of
 * {@link #advance}: each slice goes on from where the previous one stopped, a read that fails is
 * tried again from there, and a partition is done only once it was read to its end. Nothing read is
 * dropped. Used by the worker's poll thread only.
 */
final class JournalRecovery {
  /*
   * Why slices. A journal partition holds a day of tombstones (delete.retention.ms); reading it
   * can take longer than any fixed budget, and the poll thread must keep polling meanwhile (the
   * group's max.poll.interval.ms, heartbeats of the cooperative rebalance, the lease renewal). So
   * the poll loop calls advance() once per iteration; a slice reads for at most SLICE on the
   * worker's clock or MAX_POLLS_PER_SLICE reader polls, whichever ends first, and keeps what it
   * read: the open entries so far and the next offset, per partition. The worker keeps the task
   * partition paused until its journal partition is done, so none of its tasks runs before the
   * entries an earlier owner left open are resumed.
   *
   * Failures. Any error of the reader (a timeout looking up offsets, a broker error, an
   * authorization error while an ACL is being fixed) closes it; the next slice, RETRY_PAUSE later,
   * opens a new reader and seeks each partition to the offset where its read stopped. The read is
   * never given up: a partition stays recovering (its tasks paused; the worker's
   * recoveringPartitions(), the lmp_publisher_journal_recovering_partitions gauge and these logs,
   * which name it, show it) until it is read to its end or taken from this worker.
   *
   * Bounds. Each blocking reader call has a timeout (LOOKUP_TIMEOUT, READ_POLL); the open entries
   * kept per partition are the entries open in that journal partition (compaction keeps one record
   * per task id; each entry is an attempt some worker journaled and has not answered yet).
   */

  /** The most a slice reads for, on the worker's clock. */
  static final Duration SLICE = Duration.ofMillis(500);

  /** The most reader polls in one slice. */
  static final int MAX_POLLS_PER_SLICE = 50;

  /** How long after a failed slice the next one starts. */
  static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

  private static final Duration READ_POLL = Duration.ofMillis(100);
  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(5);
  private static final int LOG_EVERY_SLICES = 20;
  private static final Logger log = LoggerFactory.getLogger(JournalRecovery.class);

  /** A journal partition read to its end: its open entries, and when its recovery began. */
  record Recovered(int partition, List<Journal.Open> open, Instant startedAt) {}

  /** How far the read of one journal partition got. */
  private static final class Progress {
    final TopicPartition partition;
    final Instant startedAt;
    final Map<String, ConsumerRecord<String, byte[]>> open = new HashMap<>();
    Long next;
    Long end;
    boolean positioned;
    long read;
    int slices;

    Progress(TopicPartition partition, Instant startedAt) {
      this.partition = partition;
      this.startedAt = startedAt;
    }
  }

  private final Journal journal;
  private final Supplier<Consumer<String, byte[]>> readers;
  private final Clock clock;
  private final String holder;
  private final Map<Integer, Progress> recovering = new TreeMap<>();
  private Consumer<String, byte[]> reader;
  private Set<TopicPartition> readerAssignment = Set.of();
  private long retryAt = Long.MIN_VALUE;
  private int failuresInARow;
  private final AtomicLong slices = new AtomicLong();

  /**
   * @param readers makes a consumer to read the journal with; one is kept open while partitions are
   *     being recovered, and replaced after a failure
   * @param holder the worker's transactional id, for the logs
   */
  JournalRecovery(
      Journal journal, Supplier<Consumer<String, byte[]>> readers, Clock clock, String holder) {
    this.journal = Objects.requireNonNull(journal, "journal");
    this.readers = Objects.requireNonNull(readers, "readers");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.holder = Objects.requireNonNull(holder, "holder");
  }

  /**
   * Starts reading journal partition {@code partition} from its beginning, to its end as of the
   * first look; a read of it already under way starts over.
   */
  void start(int partition, Instant startedAt) {
    recovering.put(partition, new Progress(journal.partition(partition), startedAt));
    log.info(
        "publisher {} recovers journal partition {}: its tasks wait until it is read",
        holder,
        journal.partition(partition));
  }

  /** Stops reading the given journal partitions (their task partitions were taken away). */
  void cancel(Collection<Integer> partitions) {
    recovering.keySet().removeAll(partitions);
  }

  /** The journal partition numbers still being read. */
  Set<Integer> partitions() {
    return Set.copyOf(recovering.keySet());
  }

  boolean isEmpty() {
    return recovering.isEmpty();
  }

  /** How many slices have run (for tests). */
  long slices() {
    return slices.get();
  }

  /**
   * Reads for one slice; answers the partitions read to their end in it, each with its open
   * entries. Never throws for a reader error: the read goes on from where it stopped on a later
   * call.
   *
   * @throws InterruptException when the worker's thread is interrupted: it is being stopped
   */
  List<Recovered> advance() {
    if (recovering.isEmpty()) {
      closeReader();
      return List.of();
    }
    long now = clock.millis();
    if (now < retryAt) {
      return List.of();
    }
    slices.incrementAndGet();
    long until = now + SLICE.toMillis();
    List<Recovered> done = new ArrayList<>();
    try {
      prepareReader();
      for (int polls = 0; ; polls++) {
        collectDone(done);
        if (recovering.isEmpty() || polls >= MAX_POLLS_PER_SLICE || clock.millis() >= until) {
          break;
        }
        for (ConsumerRecord<String, byte[]> r : reader.poll(READ_POLL)) {
          Progress p = recovering.get(r.partition());
          if (p == null) {
            continue;
          }
          if (r.value() == null) {
            p.open.remove(r.key());
          } else {
            p.open.put(r.key(), r);
          }
          p.read++;
        }
        for (Progress p : recovering.values()) {
          p.next = reader.position(p.partition, LOOKUP_TIMEOUT);
        }
      }
      failuresInARow = 0;
    } catch (WakeupException | InterruptException e) {
      closeReader();
      throw e;
    } catch (RuntimeException e) {
      failuresInARow++;
      retryAt = clock.millis() + RETRY_PAUSE.toMillis();
      closeReader();
      log.warn(
          "publisher {} could not read journal partitions {} (failure {} in a row); their tasks"
              + " stay paused and the read goes on from where it stopped in {}: {}",
          holder,
          recoveringPartitions(),
          failuresInARow,
          RETRY_PAUSE,
          e.toString());
    }
    for (Progress p : recovering.values()) {
      if (++p.slices % LOG_EVERY_SLICES == 0) {
        log.info(
            "publisher {} still recovers journal partition {}: {} records read, at offset {} of"
                + " {}, {} open entries so far, for {}",
            holder,
            p.partition,
            p.read,
            p.next,
            p.end,
            p.open.size(),
            Duration.between(p.startedAt, clock.instant()));
      }
    }
    if (recovering.isEmpty()) {
      closeReader();
    }
    return done;
  }

  /** Closes the reader, if one is open; never throws. */
  void close() {
    recovering.clear();
    closeReader();
  }

  /**
   * Opens a reader if none is, assigns it the partitions being recovered, looks up what is not
   * known yet (where each begins, where it ends) and seeks each to where its read stopped.
   */
  private void prepareReader() {
    Set<TopicPartition> wanted = recoveringPartitions();
    if (reader == null) {
      reader = readers.get();
      readerAssignment = Set.of();
    }
    if (!wanted.equals(readerAssignment)) {
      reader.assign(wanted);
      readerAssignment = wanted;
      recovering.values().forEach(p -> p.positioned = false);
    }
    List<TopicPartition> noStart = new ArrayList<>();
    List<TopicPartition> noEnd = new ArrayList<>();
    for (Progress p : recovering.values()) {
      if (p.next == null) {
        noStart.add(p.partition);
      }
      if (p.end == null) {
        noEnd.add(p.partition);
      }
    }
    if (!noEnd.isEmpty()) {
      Map<TopicPartition, Long> ends = reader.endOffsets(noEnd, LOOKUP_TIMEOUT);
      for (TopicPartition tp : noEnd) {
        recovering.get(tp.partition()).end = required(ends, tp, "end");
      }
    }
    if (!noStart.isEmpty()) {
      Map<TopicPartition, Long> starts = reader.beginningOffsets(noStart, LOOKUP_TIMEOUT);
      for (TopicPartition tp : noStart) {
        recovering.get(tp.partition()).next = required(starts, tp, "beginning");
      }
    }
    for (Progress p : recovering.values()) {
      if (!p.positioned) {
        reader.seek(p.partition, p.next);
        p.positioned = true;
      }
    }
  }

  private static long required(Map<TopicPartition, Long> offsets, TopicPartition tp, String what) {
    Long offset = offsets.get(tp);
    if (offset == null) {
      throw new IllegalStateException("no " + what + " offset was returned for " + tp);
    }
    return offset;
  }

  private void collectDone(List<Recovered> done) {
    for (Iterator<Progress> it = recovering.values().iterator(); it.hasNext(); ) {
      Progress p = it.next();
      if (p.next < p.end) {
        continue;
      }
      it.remove();
      List<Journal.Open> open = journal.parse(p.open.values());
      log.info(
          "publisher {} recovered journal partition {} in {} ({} records read, {} slice(s)): {}"
              + " open entries",
          holder,
          p.partition,
          Duration.between(p.startedAt, clock.instant()),
          p.read,
          p.slices + 1,
          open.size());
      done.add(new Recovered(p.partition.partition(), open, p.startedAt));
    }
  }

  private Set<TopicPartition> recoveringPartitions() {
    Set<TopicPartition> set = new HashSet<>();
    for (Progress p : recovering.values()) {
      set.add(p.partition);
    }
    return set;
  }

  private void closeReader() {
    Consumer<String, byte[]> r = reader;
    reader = null;
    readerAssignment = Set.of();
    if (r == null) {
      return;
    }
    try {
      r.close(Duration.ZERO);
    } catch (RuntimeException e) {
      log.warn("publisher {} could not close its journal reader: {}", holder, e.toString());
    }
  }
}

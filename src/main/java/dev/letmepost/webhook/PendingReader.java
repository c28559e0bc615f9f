package dev.letmepost.webhook;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader of {@code lmp.webhook-pending} for {@link Refill}s: each {@link #step} reads the
 * active refill on from where the previous step stopped, for at most {@link Budget} (a deadline, a
 * number of records and of bytes), and finishes the refill once it reached the end offsets taken
 * when it began.
 */
final class PendingReader implements AutoCloseable {
  /*
   * Why steps. The Kafka loop calls step once per iteration, so a refill may not hold the loop:
   * a partition whose leader is away (poll returns nothing, the end is never reached) or a day of
   * one tenant's rewritten deliveries to read through would stop the events poll and the commits
   * (and the group evicts this dispatcher) and every other tenant's deliveries. So a step ends at
   * its deadline or its record or byte budget, whichever comes first, and the next step goes on
   * from the consumer's position; the refill's end offsets and start are kept between steps. One
   * consumer serves every step and refill of a session, so close() can wake it up.
   */
  private static final Logger LOG = LoggerFactory.getLogger(PendingReader.class);

  /** What one step may spend: time, records and value bytes read. */
  record Budget(Duration time, int records, long bytes) {
    /** A step of at most 1 s, 20,000 records and 16 MiB. */
    static final Budget DEFAULT = new Budget(Duration.ofSeconds(1), 20_000, 16L << 20);

    Budget {
      if (time.isNegative() || time.isZero() || records < 1 || bytes < 1) {
        throw new IllegalArgumentException(
            "a step budget must be positive, got " + time + ", " + records + ", " + bytes);
      }
    }
  }

  /** The longest single poll of a step. */
  static final Duration POLL = Duration.ofMillis(100);

  private final String topic;
  private final Supplier<Consumer<String, byte[]>> consumers;
  private final LongSupplier nanoTime;
  private final Budget budget;
  private volatile Consumer<String, byte[]> consumer;
  private Refill current;
  private List<TopicPartition> parts = List.of();
  private Map<TopicPartition, Long> end;

  /**
   * A reader of {@code topic} with a consumer from {@code consumers} (made at the first step), time
   * from {@code nanoTime} ({@code System::nanoTime} outside tests).
   */
  PendingReader(
      String topic,
      Supplier<Consumer<String, byte[]>> consumers,
      LongSupplier nanoTime,
      Budget budget) {
    this.topic = topic;
    this.consumers = consumers;
    this.nanoTime = nanoTime;
    this.budget = budget;
  }

  /**
   * Reads one step of {@code lanes}' refill (beginning one for {@code restoring}, see {@link
   * DeliveryLanes#refill}) and finishes it when its end is reached; returns within the budget's
   * time plus one {@link #POLL}.
   */
  void step(DeliveryLanes lanes, Collection<Integer> restoring) {
    Refill refill = lanes.refill(restoring);
    if (refill == null) {
      current = null;
      return;
    }
    long deadline = nanoTime.getAsLong() + budget.time().toNanos();
    Consumer<String, byte[]> c = consumer();
    if (refill != current) {
      current = refill;
      end = null;
      parts = refill.partitions().stream().sorted().map(n -> new TopicPartition(topic, n)).toList();
      c.assign(parts);
    }
    try {
      if (end == null && !parts.isEmpty()) {
        Map<TopicPartition, Long> begin = c.beginningOffsets(parts, left(deadline));
        Map<TopicPartition, Long> ends = c.endOffsets(parts, left(deadline));
        for (TopicPartition tp : parts) {
          c.seek(tp, Math.max(begin.getOrDefault(tp, 0L), refill.from(tp.partition())));
        }
        end = ends;
      }
      int records = 0;
      long bytes = 0;
      while (!atEnd(c)) {
        Duration left = left(deadline);
        if (left.isZero() || records >= budget.records() || bytes >= budget.bytes()) {
          return; // the next step goes on from here
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(left.compareTo(POLL) < 0 ? left : POLL)) {
          refill.offer(r.partition(), r.offset(), r.key(), r.value());
          records++;
          bytes += r.value() == null ? 0 : r.value().length;
        }
      }
    } catch (TimeoutException e) {
      LOG.warn("reading {} {}: {}; going on at the next step", topic, parts, e.getMessage());
      return;
    }
    refill.finish();
    current = null;
    end = null;
  }

  private boolean atEnd(Consumer<String, byte[]> c) {
    for (TopicPartition tp : parts) {
      if (c.position(tp, POLL) < end.get(tp)) {
        return false;
      }
    }
    return true;
  }

  private Duration left(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - nanoTime.getAsLong()));
  }

  private Consumer<String, byte[]> consumer() {
    Consumer<String, byte[]> c = consumer;
    if (c == null) {
      c = consumers.get();
      consumer = c;
    }
    return c;
  }

  /** Wakes the reader's consumer from another thread: a step in progress ends. */
  void wakeup() {
    Consumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
  }

  @Override
  public void close() {
    Consumer<String, byte[]> c = consumer;
    if (c != null) {
      c.close();
    }
  }
}

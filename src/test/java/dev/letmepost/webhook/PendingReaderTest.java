package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.testing.MutableClock;
import dev.letmepost.wire.PostEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pending topic's reader against a {@link MockConsumer}: each step ends at its deadline, goes
 * on from where the previous one stopped, and queues what it read only once the end is reached.
 * Time is a counter that a poll advances by its timeout when nothing comes (as a real poll waits).
 */
@Timeout(10)
class PendingReaderTest {
  static final String TOPIC = "lmp.webhook-pending";
  static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
  static final PendingReader.Budget BUDGET =
      new PendingReader.Budget(Duration.ofMillis(300), 1_000, 1L << 20);

  final AtomicLong nanos = new AtomicLong();
  final EndpointRegistry endpoints = new EndpointRegistry();
  final Pending consumer = new Pending();
  final PendingReader reader = new PendingReader(TOPIC, () -> consumer, nanos::get, BUDGET);
  final AtomicInteger attempts = new AtomicInteger();
  DeliveryLanes lanes;

  /** A consumer whose empty polls take their whole timeout and which records its seeks. */
  final class Pending extends MockConsumer<String, byte[]> {
    final List<Long> seeks = new CopyOnWriteArrayList<>();

    Pending() {
      super("earliest");
    }

    @Override
    public synchronized ConsumerRecords<String, byte[]> poll(Duration timeout) {
      ConsumerRecords<String, byte[]> records = super.poll(timeout);
      if (records.isEmpty()) {
        nanos.addAndGet(timeout.toNanos());
      }
      return records;
    }

    @Override
    public synchronized void seek(TopicPartition partition, long offset) {
      seeks.add(offset);
      super.seek(partition, offset);
    }
  }

  final MutableClock clock = new MutableClock(T0);

  /** Lanes that deliver at once on the calling thread (every attempt answers 200). */
  DeliveryLanes lanes(WebhookConfig.Limits limits) {
    DeliveryLanes l =
        new DeliveryLanes(
            clock,
            Runnable::run,
            (url, address, headers, body, timeout) -> {
              attempts.incrementAndGet();
              return new WebhookHttp.Answer(200);
            },
            endpoints,
            WebhookStoreTest.KEY,
            new AddressGuard(
                AddressGuard.Policy.STRICT,
                host -> new InetAddress[] {InetAddress.getByName("93.184.215.14")}),
            WebhookConfig.defaults(AddressGuard.Policy.STRICT, "test").withLimits(limits),
            new WebhookMetrics(new SimpleMeterRegistry()),
            () -> 0.5);
    l.own(List.of(0));
    return l;
  }

  @BeforeEach
  void setUp() {
    lanes = lanes(WebhookConfig.Limits.DEFAULTS);
    endpoints.put(
        new WebhookEndpoint(
            "we_a",
            "key_alice",
            "https://hooks.example/a",
            List.of(PostEvent.BATCH_COMPLETED),
            WebhookEndpoint.Status.enabled,
            "2026-12-01T11:00:00.000Z",
            T0.minusSeconds(3600).toEpochMilli(),
            null,
            null));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
  }

  static ConsumerRecord<String, byte[]> delivery(long offset, String eventId) {
    PendingDelivery p = DeliveryLanesTest.pending("we_a", eventId);
    return new ConsumerRecord<>(TOPIC, 0, offset, p.key(), p.toJson());
  }

  /**
   * A refill read to an end it could not reach had no deadline. Interleaving: the pending
   * partition's end offset is 10, its leader is away so every poll returns nothing; the loop {@code
   * while (position < end) poll} never ended, close() could not wake its local consumer, and the
   * dispatcher stopped polling events and committing. Now the step returns at its deadline (plus at
   * most one poll), keeps the refill for the next step, and a wakeup from close() reaches the
   * consumer.
   */
  @Test
  void aStepWhosePartitionNeverReachesItsEndReturnsAtItsDeadline() {
    consumer.updateEndOffsets(Map.of(TP, 10L));

    reader.step(lanes, List.of(0));

    assertThat(Duration.ofNanos(nanos.get()))
        .isGreaterThanOrEqualTo(BUDGET.time())
        .isLessThanOrEqualTo(BUDGET.time().plus(PendingReader.POLL));
    assertThat(lanes.refill(List.of())).as("the refill goes on at the next step").isNotNull();
    reader.wakeup();
    assertThrows(WakeupException.class, () -> reader.step(lanes, List.of()));
  }

  /**
   * Each refill re-read the pending partition from offset 0 to its end in one go. Interleaving: the
   * first step reads offsets 0-3 and runs out of time; the next step seeks nowhere and goes on at
   * 4; the refill queues what it found only at the end, where the tombstone at 9 takes back the
   * delivery read at 0 (a step that queued what it had read would have resurrected evt_0).
   */
  @Test
  void theNextStepGoesOnWhereThePreviousStoppedAndQueuesOnlyAtTheEnd() {
    consumer.updateEndOffsets(Map.of(TP, 10L));
    consumer.schedulePollTask(
        () -> {
          for (int i = 0; i < 4; i++) {
            consumer.addRecord(delivery(i, "evt_" + i));
          }
        });

    reader.step(lanes, List.of(0));

    assertThat(consumer.position(TP)).isEqualTo(4);
    assertThat(consumer.seeks).containsExactly(0L);
    assertThat(lanes.queued("we_a")).as("nothing queued before the end").isEmpty();

    for (int i = 4; i < 9; i++) {
      consumer.addRecord(delivery(i, "evt_" + i));
    }
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 9, "we_a/evt_0", null));
    long before = nanos.get();
    reader.step(lanes, List.of());

    assertThat(consumer.seeks).as("no seek back to 0").containsExactly(0L);
    assertThat(nanos.get()).as("the end was reached without waiting").isEqualTo(before);
    assertThat(lanes.queued("we_a").stream().map(PendingDelivery::eventId))
        .containsExactly("evt_1", "evt_2", "evt_3", "evt_4", "evt_5", "evt_6", "evt_7", "evt_8");
    assertThat(lanes.refill(List.of())).as("finished: nothing more to read").isNull();
  }

  /**
   * Every refill of a spilled lane re-read the pending partition from offset 0. Interleaving: a
   * restore reads offsets 0-5 of an endpoint that may hold 2, queues evt_0 and evt_1 and leaves the
   * rest (from offset 2) in Kafka; both are delivered; the next refill seeked to 0 and read them
   * (and their tombstones) again. Now it begins at the lane's cursor, offset 2.
   */
  @Test
  void aRefillOfASpilledLaneBeginsAtItsCursorNotAtZero() {
    lanes = lanes(TWO);
    consumer.updateEndOffsets(Map.of(TP, 6L));
    consumer.schedulePollTask(
        () -> {
          for (int i = 0; i < 6; i++) {
            consumer.addRecord(delivery(i, "evt_" + i));
          }
        });
    reader.step(lanes, List.of(0));
    assertThat(lanes.queued("we_a").stream().map(PendingDelivery::eventId))
        .containsExactly("evt_0", "evt_1");
    assertThat(lanes.spilled("we_a")).isTrue();
    lanes.pump();
    lanes.pump();
    assertThat(attempts).hasValue(2);
    assertThat(lanes.drain()).hasSize(4); // two tombstones, two attempts recorded

    clock.advance(DeliveryLanes.REFILL_INTERVAL);
    consumer.updateEndOffsets(Map.of(TP, 8L));
    for (int i = 0; i < 6; i++) {
      consumer.addRecord(delivery(i, "evt_" + i)); // 0 and 1 lie before the position: not read
    }
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 6, "we_a/evt_0", null));
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, 7, "we_a/evt_1", null));
    reader.step(lanes, List.of());

    assertThat(consumer.seeks).containsExactly(0L, 2L);
    assertThat(lanes.queued("we_a").stream().map(PendingDelivery::eventId))
        .containsExactly("evt_2", "evt_3");
    assertThat(lanes.spilled("we_a")).isTrue();
  }

  /**
   * A refill spans steps now, so a write of its lanes between two steps would land past its end
   * offsets unread. Interleaving: a spilled lane with one delivery queued is being refilled; the
   * loop pumps between two steps; an attempt started, its retry or tombstone was written past the
   * end, and the refill queued the stale record it had read. Now the lane starts nothing until the
   * refill finishes.
   */
  @Test
  void aSpilledLaneStartsNoAttemptWhileItsRefillIsBeingRead() {
    lanes = lanes(TWO);
    for (int i = 0; i < 3; i++) {
      lanes.add(DeliveryLanesTest.pending("we_a", "evt_" + i), 0);
    }
    lanes.pump();
    assertThat(attempts).hasValue(1);
    lanes.drain();
    assertThat(lanes.spilled("we_a")).isTrue();

    Refill refill = lanes.refill(List.of());
    assertThat(refill).isNotNull();
    lanes.pump();
    assertThat(attempts).as("frozen while its refill is read").hasValue(1);

    refill.finish();
    lanes.pump();
    assertThat(attempts).hasValue(2);
  }

  static final WebhookConfig.Limits TWO =
      new WebhookConfig.Limits(4, 2, 1024, 4L << 20, 16_384, 64L << 20);
}

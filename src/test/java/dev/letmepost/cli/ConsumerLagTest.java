package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** {@link ConsumerLag} on hand-written offsets: sums, caching, failures. */
class ConsumerLagTest {
  private static final TopicPartition BLUESKY_0 = new TopicPartition("lmp.publish.bluesky", 0);
  private static final TopicPartition BLUESKY_1 = new TopicPartition("lmp.publish.bluesky", 1);
  private static final TopicPartition SLACK_0 = new TopicPartition("lmp.publish.slack", 0);

  /** Offsets a test sets; counts the reads; throws when {@code failure} is set. */
  static final class FakeOffsets implements ConsumerLag.Offsets {
    final Map<String, Map<TopicPartition, Long>> committed = new HashMap<>();
    final Map<TopicPartition, Long> ends = new HashMap<>();
    final AtomicInteger reads = new AtomicInteger();
    RuntimeException failure;

    @Override
    public Map<String, Map<TopicPartition, Long>> committed(List<String> groups) {
      reads.incrementAndGet();
      if (failure != null) {
        throw failure;
      }
      return committed;
    }

    @Override
    public Map<TopicPartition, Long> ends(Iterable<TopicPartition> partitions) {
      return ends;
    }
  }

  /** A clock that stands still until the test moves it. */
  static final class TestClock extends Clock {
    private Instant now;

    TestClock(Instant start) {
      now = start;
    }

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("UTC only");
    }
  }

  private final TestClock clock = new TestClock(Instant.parse("2026-12-01T12:00:00Z"));
  private final FakeOffsets offsets = new FakeOffsets();
  private final ConsumerLag lag =
      new ConsumerLag(
          List.of("lmp.publisher-bluesky", "lmp.publisher-slack", "lmp.publisher-discord"),
          offsets,
          clock,
          () -> {});

  @Test
  void lagIsTheSumOverTheGroupsCommittedPartitionsOfEndMinusCommitted() {
    offsets.committed.put("lmp.publisher-bluesky", Map.of(BLUESKY_0, 10L, BLUESKY_1, 7L));
    offsets.committed.put("lmp.publisher-slack", Map.of(SLACK_0, 5L));
    offsets.ends.putAll(Map.of(BLUESKY_0, 25L, BLUESKY_1, 7L, SLACK_0, 5L));

    assertThat(lag.lag("lmp.publisher-bluesky")).isEqualTo(15.0);
    assertThat(lag.lag("lmp.publisher-slack")).isEqualTo(0.0);
    // a group that never committed has no lag to show yet
    assertThat(lag.lag("lmp.publisher-discord")).isEqualTo(0.0);
  }

  @Test
  void oneReadServesEveryGroupForFiveSecondsThenTheOffsetsAreReadAgain() {
    offsets.committed.put("lmp.publisher-bluesky", Map.of(BLUESKY_0, 10L));
    offsets.ends.put(BLUESKY_0, 12L);

    assertThat(lag.lag("lmp.publisher-bluesky")).isEqualTo(2.0);
    assertThat(lag.lag("lmp.publisher-slack")).isEqualTo(0.0);
    offsets.ends.put(BLUESKY_0, 40L);
    clock.advance(Duration.ofMillis(4_999));
    assertThat(lag.lag("lmp.publisher-bluesky")).isEqualTo(2.0);
    assertThat(offsets.reads).hasValue(1);

    clock.advance(Duration.ofMillis(1));
    assertThat(lag.lag("lmp.publisher-bluesky")).isEqualTo(30.0);
    assertThat(offsets.reads).hasValue(2);
  }

  @Test
  void aFailedReadShowsNaNAndTheNextReadRecovers() {
    offsets.failure = new IllegalStateException("cluster unreachable");
    assertThat(lag.lag("lmp.publisher-bluesky")).isNaN();

    offsets.failure = null;
    offsets.committed.put("lmp.publisher-bluesky", Map.of(BLUESKY_0, 1L));
    offsets.ends.put(BLUESKY_0, 4L);
    clock.advance(Duration.ofSeconds(5));
    assertThat(lag.lag("lmp.publisher-bluesky")).isEqualTo(3.0);
  }

  @Test
  void theGaugeIsNamedLmpConsumerGroupLagWithOneSeriesPerGroup() {
    offsets.committed.put("lmp.publisher-bluesky", Map.of(BLUESKY_0, 10L));
    offsets.ends.put(BLUESKY_0, 11L);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    lag.bindTo(registry);

    assertThat(registry.scrape())
        .contains("lmp_consumer_group_lag{group=\"lmp.publisher-bluesky\"} 1.0")
        .contains("lmp_consumer_group_lag{group=\"lmp.publisher-slack\"} 0.0")
        .contains("lmp_consumer_group_lag{group=\"lmp.publisher-discord\"} 0.0");
    registry.close();
  }
}

package dev.letmepost.cli;

import dev.letmepost.wire.ClientSettings;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauge {@code lmp_consumer_group_lag{group}}: for each of some consumer groups, the records
 * between its committed offsets and the end of the partitions it committed on (read_committed ends,
 * so open transactions do not count), as a Kafka admin client sees them. What the publisher role
 * shows for its per-platform groups; {@code NaN} while the lag cannot be read.
 */
final class ConsumerLag implements AutoCloseable {
  /*
   * The lag is read from the brokers, not from the workers' own consumers, so it is the group's
   * lag whichever instance holds the partitions (and it keeps growing while no instance runs).
   * One read serves every gauge of a scrape: the values are cached for MAX_AGE, so a scrape of N
   * groups costs two admin calls, not 2N. A partition the group never committed on is not
   * counted: until a worker commits there, its position is "earliest" and that is what it will
   * read.
   */

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);
  private static final Duration MAX_AGE = Duration.ofSeconds(5);
  private static final long TIMEOUT_SECONDS = 5;

  /** Where the offsets come from (an admin client in production, a fake in tests). */
  interface Offsets {
    /** Committed offsets by group; a group without commits maps to an empty map. */
    Map<String, Map<TopicPartition, Long>> committed(List<String> groups) throws Exception;

    /** The read_committed end offset of each partition. */
    Map<TopicPartition, Long> ends(Iterable<TopicPartition> partitions) throws Exception;
  }

  private final List<String> groups;
  private final Offsets offsets;
  private final Clock clock;
  private final AutoCloseable resource;
  private Map<String, Double> cached = Map.of();
  private Instant readAt = Instant.MIN;

  ConsumerLag(List<String> groups, Offsets offsets, Clock clock, AutoCloseable resource) {
    this.groups = List.copyOf(groups);
    this.offsets = offsets;
    this.clock = clock;
    this.resource = resource;
  }

  /** The settings of the lag's admin client: answers within 5 s. */
  static Map<String, Object> adminConfig(ClientSettings client) {
    return client.config(
        Map.of(
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000));
  }

  /** The lag of {@code groups} on the cluster {@code client} reaches. */
  static ConsumerLag of(ClientSettings client, List<String> groups) {
    Admin admin = Admin.create(adminConfig(client));
    return new ConsumerLag(groups, adminOffsets(admin), Clock.systemUTC(), admin);
  }

  /** Registers one gauge per group on {@code registry}. */
  ConsumerLag bindTo(MeterRegistry registry) {
    for (String group : groups) {
      Gauge.builder("lmp.consumer.group.lag", this, lag -> lag.lag(group))
          .description(
              "records between the group's committed offsets and the read_committed end of its"
                  + " partitions")
          .tag("group", group)
          .register(registry);
    }
    return this;
  }

  /** The group's lag as of the last read (at most 5 s old), NaN when it could not be read. */
  synchronized double lag(String group) {
    Instant now = clock.instant();
    if (!now.isBefore(readAt.plus(MAX_AGE))) {
      cached = read();
      readAt = now;
    }
    return cached.getOrDefault(group, Double.NaN);
  }

  private Map<String, Double> read() {
    try {
      Map<String, Map<TopicPartition, Long>> committed = offsets.committed(groups);
      Map<TopicPartition, Long> ends =
          offsets.ends(
              committed.values().stream().flatMap(m -> m.keySet().stream()).distinct().toList());
      Map<String, Double> lag = new HashMap<>();
      for (String group : groups) {
        long total = 0;
        for (Map.Entry<TopicPartition, Long> e :
            committed.getOrDefault(group, Map.of()).entrySet()) {
          Long end = ends.get(e.getKey());
          if (end != null) {
            total += Math.max(0, end - e.getValue());
          }
        }
        lag.put(group, (double) total);
      }
      return lag;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Map.of();
    } catch (Exception e) {
      LOG.warn("could not read the lag of consumer groups {}: {}", groups, e.toString());
      return Map.of();
    }
  }

  private static Offsets adminOffsets(Admin admin) {
    return new Offsets() {
      @Override
      public Map<String, Map<TopicPartition, Long>> committed(List<String> groups)
          throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
        groups.forEach(g -> specs.put(g, new ListConsumerGroupOffsetsSpec()));
        Map<String, Map<TopicPartition, Long>> out = new HashMap<>();
        var result = admin.listConsumerGroupOffsets(specs);
        for (String g : groups) {
          Map<TopicPartition, Long> offsets = new HashMap<>();
          Map<TopicPartition, OffsetAndMetadata> committed =
              result.partitionsToOffsetAndMetadata(g).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
          committed.forEach(
              (tp, om) -> {
                if (om != null) {
                  offsets.put(tp, om.offset());
                }
              });
          out.put(g, offsets);
        }
        return out;
      }

      @Override
      public Map<TopicPartition, Long> ends(Iterable<TopicPartition> partitions)
          throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        partitions.forEach(tp -> specs.put(tp, OffsetSpec.latest()));
        if (specs.isEmpty()) {
          return Map.of();
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> infos =
            admin
                .listOffsets(specs, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                .all()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        infos.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
      }
    };
  }

  @Override
  public void close() throws Exception {
    resource.close();
  }
}

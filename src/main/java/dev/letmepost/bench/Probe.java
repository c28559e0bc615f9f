package dev.letmepost.bench;

import dev.letmepost.wire.ClientSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/**
 * What the benchmark reads from the cluster and the disk: topics' end offsets, a group's committed
 * offsets, topic sizes on the brokers' log directories, and a state directory's bytes by store.
 */
final class Probe implements AutoCloseable {
  private final Admin admin;

  Probe(ClientSettings client) {
    this.admin = Admin.create(client.config());
  }

  /** Creates {@code names} with {@code partitions} partitions each, if they do not exist. */
  void createTopics(List<String> names, int partitions, short replicationFactor) {
    var existing = get(admin.listTopics().names());
    List<NewTopic> missing =
        names.stream()
            .filter(n -> !existing.contains(n))
            .map(n -> new NewTopic(n, partitions, replicationFactor))
            .toList();
    if (!missing.isEmpty()) {
      get(admin.createTopics(missing).all());
    }
  }

  /** The sum over partitions of each topic's end offset, for every topic named {@code prefix*}. */
  Map<String, Long> endOffsets(String prefix) {
    List<String> names =
        get(admin.listTopics().names()).stream().filter(n -> n.startsWith(prefix)).toList();
    Map<String, TopicDescription> topics = get(admin.describeTopics(names).allTopicNames());
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    topics.forEach(
        (name, d) ->
            d.partitions()
                .forEach(
                    p ->
                        request.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        get(admin.listOffsets(request).all());
    Map<String, Long> sums = new TreeMap<>();
    ends.forEach((tp, info) -> sums.merge(tp.topic(), info.offset(), Long::sum));
    return sums;
  }

  /** Per partition of {@code topic}, its end offset. */
  Map<TopicPartition, Long> partitionEnds(String topic) {
    TopicDescription d = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    d.partitions()
        .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
    Map<TopicPartition, Long> ends = new HashMap<>();
    get(admin.listOffsets(request).all()).forEach((tp, info) -> ends.put(tp, info.offset()));
    return ends;
  }

  /** Sets {@code group}'s committed offsets (the group must have no active member). */
  void commit(String group, Map<TopicPartition, Long> offsets) {
    Map<TopicPartition, OffsetAndMetadata> o = new HashMap<>();
    offsets.forEach((tp, offset) -> o.put(tp, new OffsetAndMetadata(offset)));
    get(admin.alterConsumerGroupOffsets(group, o).all());
  }

  /** The sum of {@code group}'s committed offsets on {@code topic}. */
  long committed(String group, String topic) {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        get(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
    long sum = 0;
    for (var e : offsets.entrySet()) {
      if (e.getKey().topic().equals(topic) && e.getValue() != null) {
        sum += e.getValue().offset();
      }
    }
    return sum;
  }

  /** Bytes on the brokers' log directories of every topic named {@code prefix*}, by topic. */
  Map<String, Long> logDirBytes(String prefix) {
    List<Integer> brokers = get(admin.describeCluster().nodes()).stream().map(Node::id).toList();
    Map<Integer, Map<String, LogDirDescription>> dirs =
        get(admin.describeLogDirs(brokers).allDescriptions());
    Map<String, Long> bytes = new TreeMap<>();
    for (Map<String, LogDirDescription> byDir : dirs.values()) {
      for (LogDirDescription dir : byDir.values()) {
        for (Map.Entry<TopicPartition, ReplicaInfo> r : dir.replicaInfos().entrySet()) {
          if (r.getKey().topic().startsWith(prefix)) {
            bytes.merge(r.getKey().topic(), r.getValue().size(), Long::sum);
          }
        }
      }
    }
    return bytes;
  }

  /**
   * The bytes of every file under {@code appStateDir} (one application's state directory: a
   * directory per task), by store: the first path element below the task directory, or the one
   * below its {@code rocksdb} directory; files of the task directory itself count as {@code (task
   * files)}.
   */
  static Map<String, Long> stateDirByStore(Path appStateDir) {
    Map<String, Long> bytes = new TreeMap<>();
    if (!Files.isDirectory(appStateDir)) {
      return bytes;
    }
    try (Stream<Path> files = Files.walk(appStateDir)) {
      files
          .filter(Files::isRegularFile)
          .forEach(f -> bytes.merge(storeOf(appStateDir.relativize(f)), size(f), Long::sum));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the state directory " + appStateDir, e);
    }
    return bytes;
  }

  /** The store a file of a state directory belongs to, from its path below that directory. */
  static String storeOf(Path relative) {
    if (relative.getNameCount() < 3) {
      return "(task files)";
    }
    String first = relative.getName(1).toString();
    if (first.equals("rocksdb") && relative.getNameCount() >= 4) {
      return relative.getName(2).toString();
    }
    return first;
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return 0; // deleted while walking (a compaction)
    }
  }

  private static <T> T get(KafkaFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking the cluster", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "the cluster refused a request: " + e.getCause(), e.getCause());
    }
  }

  @Override
  public void close() {
    admin.close();
  }
}

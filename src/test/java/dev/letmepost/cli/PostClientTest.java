package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.client.Backoff;
import dev.letmepost.client.CommandProducer;
import dev.letmepost.client.Fingerprint;
import dev.letmepost.client.KafkaClient;
import dev.letmepost.client.MockReaders;
import dev.letmepost.client.ResultsReader;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The command records {@code lmp post} produces. */
class PostClientTest {
  private static final Topics TOPICS = new Topics("lmp.");
  private static final int PARTITIONS = 6;
  private static final byte[] BODY =
      "{\"targets\":[{\"accountId\":\"acc_1\"}],\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_8);

  /**
   * {@code lmp post} keyed its commands by request id: a command with an idempotency key then
   * landed in the partition of its request id, not of its fingerprint, and took the ledger's
   * repartition hop, which the gateway's commands skip (and two retries of one key with two request
   * ids landed in two partitions). Now its record is keyed by the fingerprint and lands in the
   * fingerprint's partition under Kafka's default partitioner.
   */
  @Test
  void lmpPostKeysItsCommandByTheFingerprintAndLandsInItsPartition() {
    Node node = new Node(0, "localhost", 9092);
    Cluster cluster =
        new Cluster(
            "c",
            List.of(node),
            IntStream.range(0, PARTITIONS)
                .mapToObj(
                    p ->
                        new PartitionInfo(
                            TOPICS.commands().name(),
                            p,
                            node,
                            new Node[] {node},
                            new Node[] {node}))
                .toList(),
            Set.of(),
            Set.of());
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(
            cluster, true, null, new ByteArraySerializer(), new ByteArraySerializer());
    String results = TOPICS.results().name();
    try (PostClient client =
        new PostClient(
            new KafkaClient(
                new CommandProducer(producer, TOPICS.commands().name()),
                new ResultsReader(
                    "results",
                    results,
                    () -> MockReaders.consumer(results, 0),
                    10,
                    Backoff.DEFAULT,
                    new MockReaders.GatedSleeper())))) {
      client.send("key_alice", "K1", "req-1", BODY);
      client.send("key_alice", "K1", "req-2", BODY);
    }

    String fingerprint = Fingerprint.of("key_alice", "POST", "/v1/posts", "K1");
    byte[] key = fingerprint.getBytes(StandardCharsets.UTF_8);
    int partition = BuiltInPartitioner.partitionForKey(key, PARTITIONS);
    assertThat(producer.history()).hasSize(2);
    for (ProducerRecord<byte[], byte[]> r : producer.history()) {
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(fingerprint);
      assertThat(BuiltInPartitioner.partitionForKey(r.key(), PARTITIONS)).isEqualTo(partition);
      assertThat(r.value()).isEqualTo(BODY);
    }
    assertThat(
            List.of("req-1", "req-2").stream()
                .map(id -> BuiltInPartitioner.partitionForKey(id.getBytes(), PARTITIONS)))
        .as("keyed by request id, these commands would have landed elsewhere")
        .anyMatch(p -> p != partition);
  }
}

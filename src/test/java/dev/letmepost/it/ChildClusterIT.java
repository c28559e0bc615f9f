package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.cli.TopicReader;
import dev.letmepost.testing.ChildCluster;
import dev.letmepost.wire.ClientSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three-node test cluster itself: replicated as configured, transactions committed with a node
 * down (transaction state log replication 3, min ISR 2), a SIGKILLed node restarted on its data and
 * caught up, the child logs quiet, and everything removed on close.
 */
class ChildClusterIT {
  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void threeNodesSurviveTheKillOfOneAndTakeItBack(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("cluster");
    try (ChildCluster cluster = ChildCluster.start(dir, 3)) {
      assertThat(cluster.nodeIds()).containsExactly(1, 2, 3);
      String bootstrap = cluster.bootstrapServers();
      try (Admin admin =
          Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        admin
            .createTopics(List.of(new NewTopic("t", Optional.of(3), Optional.empty())))
            .all()
            .get(30, TimeUnit.SECONDS);
        TopicDescription d =
            admin.describeTopics(List.of("t")).allTopicNames().get(30, TimeUnit.SECONDS).get("t");
        assertThat(d.partitions())
            .allSatisfy(p -> assertThat(p.replicas()).as("default replication").hasSize(3));
        var configs =
            admin
                .describeConfigs(
                    List.of(
                        new org.apache.kafka.common.config.ConfigResource(
                            org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "t")))
                .all()
                .get(30, TimeUnit.SECONDS)
                .values()
                .iterator()
                .next();
        assertThat(configs.get("min.insync.replicas").value()).isEqualTo("2");
      }
      transactionally(bootstrap, "before");
      cluster.kill(2);
      assertThat(cluster.isRunning(2)).isFalse();
      transactionally(bootstrap, "one-down");
      cluster.restart(2);
      cluster.awaitFullyReplicated(Duration.ofSeconds(60));
      cluster.kill(1);
      transactionally(bootstrap, "another-down");
      cluster.restart(1);

      List<String> values =
          TopicReader.readAll(
                  ClientSettings.of(bootstrap),
                  "t",
                  new StringDeserializer(),
                  new StringDeserializer())
              .stream()
              .map(r -> r.value())
              .toList();
      assertThat(values).containsExactlyInAnyOrder("before", "one-down", "another-down");
      for (int id : cluster.nodeIds()) {
        String log = Files.readString(dir.resolve("node-" + id + ".log"), StandardCharsets.UTF_8);
        assertThat(log).as("node " + id + " logs at WARN, not DEBUG/INFO").doesNotContain(" INFO ");
        assertThat(log).doesNotContain(" DEBUG ");
      }
    }
    assertThat(dir).doesNotExist();
  }

  private static void transactionally(String bootstrap, String value) {
    try (KafkaProducer<String, String> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "tx-" + value,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new StringSerializer())) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("t", value, value));
      p.commitTransaction();
    }
  }
}

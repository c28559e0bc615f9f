package dev.letmepost.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Consumers: the one read_committed set-up and the one "every partition" assignment. */
class ConsumersTest {
  @Test
  void aDirectReaderSeesCommittedRecordsOnlyAndCommitsNothing() {
    assertThat(Consumers.readCommittedConfig("localhost:9092"))
        .containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:9092")
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .doesNotContainKey(ConsumerConfig.GROUP_ID_CONFIG);
  }

  @Test
  void assignAllAssignsEveryPartition() {
    try (MockConsumer<String, String> consumer = new MockConsumer<>("earliest")) {
      Node node = new Node(0, "localhost", 9092);
      Node[] nodes = {node};
      consumer.updatePartitions(
          "t",
          List.of(
              new PartitionInfo("t", 0, node, nodes, nodes),
              new PartitionInfo("t", 1, node, nodes, nodes)));
      List<TopicPartition> assigned = Consumers.assignAll(consumer, "t");
      assertThat(assigned).containsExactly(new TopicPartition("t", 0), new TopicPartition("t", 1));
      assertThat(consumer.assignment()).containsExactlyInAnyOrderElementsOf(assigned);
    }
  }

  @Test
  void assignAllFailsOnAMissingTopic() {
    try (MockConsumer<String, String> consumer = new MockConsumer<>("earliest")) {
      assertThatThrownBy(() -> Consumers.assignAll(consumer, "absent"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("topic absent does not exist");
    }
  }
}

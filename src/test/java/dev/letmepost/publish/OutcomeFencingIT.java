package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker side of the publisher's outcome fencing (PartitionLease, "Fencing outcomes"), on the
 * embedded KRaft broker with the workers' own client settings: an outcome transaction that sends
 * offsets with the group metadata of a member the group has moved past is refused, and the outcome
 * it carried never becomes visible.
 */
class OutcomeFencingIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /**
   * Interleaving: worker A's consumer (static member "a") is assigned the publish partition → A
   * keeps its group metadata → A leaves the group and worker B joins and is assigned the partition
   * (a new generation) → A, a zombie that finished a task, writes its outcome and sends the offset
   * with its old group metadata → the group coordinator refuses the TxnOffsetCommit and the
   * producer throws CommitFailedException → A aborts → a read_committed reader of the outcomes
   * topic sees only B's outcome, committed with B's metadata.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void anOutcomeTransactionWithTheMetadataOfAMemberTheGroupMovedPastIsRefused() {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 1);
    ClientSettings client = ClientSettings.of(TestBroker.bootstrapServers());
    String group = topics.prefix() + "publisher-sandbox";
    String tasks = topics.publish(Platform.SANDBOX).name();
    String outcomes = topics.outcomes().name();
    TopicPartition partition = new TopicPartition(tasks, 0);

    KafkaConsumer<String, byte[]> a =
        new KafkaConsumer<>(WorkerClients.consumerConfig(client, group, "a"));
    ConsumerGroupMetadata stale;
    try {
      a.subscribe(List.of(tasks));
      awaitAssignment(a);
      stale = a.groupMetadata();
    } finally {
      a.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
    try (KafkaConsumer<String, byte[]> b =
            new KafkaConsumer<>(WorkerClients.consumerConfig(client, group, "b"));
        KafkaProducer<String, byte[]> zombie =
            new KafkaProducer<>(WorkerClients.producerConfig(client, group + "-a"));
        KafkaProducer<String, byte[]> owner =
            new KafkaProducer<>(WorkerClients.producerConfig(client, group + "-b"))) {
      b.subscribe(List.of(tasks));
      awaitAssignment(b);
      assertThat(b.groupMetadata().generationId()).isGreaterThan(stale.generationId());
      Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(partition, new OffsetAndMetadata(0));

      zombie.initTransactions();
      zombie.beginTransaction();
      zombie.send(new ProducerRecord<>(outcomes, "fp", utf8("failed, retryable (zombie A)")));
      assertThatThrownBy(
              () -> {
                zombie.sendOffsetsToTransaction(offsets, stale);
                zombie.commitTransaction();
              })
          .isInstanceOf(CommitFailedException.class);
      zombie.abortTransaction();

      owner.initTransactions();
      owner.beginTransaction();
      owner.send(new ProducerRecord<>(outcomes, "fp", utf8("published (owner B)")));
      owner.sendOffsetsToTransaction(offsets, b.groupMetadata());
      owner.commitTransaction();
    }

    assertThat(readCommitted(client, outcomes)).containsExactly("published (owner B)");
  }

  private static void awaitAssignment(KafkaConsumer<String, byte[]> consumer) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (consumer.assignment().isEmpty()) {
      assertThat(System.nanoTime()).as("assignment within %s", WAIT).isLessThan(deadline);
      consumer.poll(Duration.ofMillis(100));
    }
  }

  private static List<String> readCommitted(ClientSettings client, String topic) {
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> reader =
        Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      reader.assign(List.of(tp));
      reader.seekToBeginning(List.of(tp));
      long end = reader.endOffsets(List.of(tp), WAIT).get(tp);
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (reader.position(tp, WAIT) < end) {
        assertThat(System.nanoTime()).as("read %s within %s", topic, WAIT).isLessThan(deadline);
        for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
          values.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
    }
    return values;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

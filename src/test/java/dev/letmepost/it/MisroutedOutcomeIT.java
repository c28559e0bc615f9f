package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.TopicReader;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broke: an outcome keyed by its fingerprint but written to another partition than murmur2 gives
 * (kcat and every librdkafka client partition by CRC32 by default) reached a ledger task that does
 * not hold its batch and was ignored as foreign: the request stayed pending and the target could
 * only end {@code unknown} at its deadline, with no word why. Now the ledger sends it on to its
 * fingerprint's partition and the target ends {@code published}.
 */
class MisroutedOutcomeIT {
  private static final int PARTITIONS = 3;
  private static final String PRINCIPAL = "tenant-misrouted";

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void anOutcomeWrittenToAnotherPartitionIsSentOnAndAnswersTheRequest(@TempDir Path dir)
      throws Exception {
    String bootstrap = TestBroker.bootstrapServers();
    ClientSettings client = ClientSettings.of(bootstrap);
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, PARTITIONS);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = PARTITIONS);
    try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    bootstrap,
                    ProducerConfig.ACKS_CONFIG,
                    "all"),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        KafkaStreams ledger =
            LedgerApp.start(config, LedgerApp.streamsProperties(config, client, dir, Map.of()))) {
      Account account =
          new Account("acc_sb", PRINCIPAL, "sandbox", "@sb", Account.Status.connected, null, false);
      producer
          .send(new ProducerRecord<>(topics.accounts().name(), utf8("acc_sb"), Json.write(account)))
          .get();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> ledger.state() == KafkaStreams.State.RUNNING);

      RecordHeaders headers = new RecordHeaders();
      headers.add(LmpHeaders.PRINCIPAL, utf8(PRINCIPAL));
      headers.add(LmpHeaders.IDEMPOTENCY_KEY, utf8("K-misrouted"));
      headers.add(LmpHeaders.REQUEST_ID, utf8("req-misrouted"));
      producer
          .send(
              new ProducerRecord<byte[], byte[]>(
                  topics.commands().name(),
                  null,
                  null,
                  utf8("{\"targets\":[{\"accountId\":\"acc_sb\"}],\"text\":\"misrouted\"}"),
                  headers))
          .get();

      PublishTask task =
          await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      TopicReader.readAll(
                              client,
                              topics.publish(Platform.SANDBOX).name(),
                              new StringDeserializer(),
                              new ByteArrayDeserializer())
                          .stream()
                          .map(r -> Json.read(r.value(), PublishTask.class))
                          .findFirst()
                          .orElse(null),
                  t -> t != null);
      int home =
          BuiltInPartitioner.partitionForKey(
              task.fingerprint().getBytes(StandardCharsets.UTF_8), PARTITIONS);
      int wrong = (home + 1) % PARTITIONS;
      producer
          .send(
              new ProducerRecord<>(
                  topics.outcomes().name(),
                  wrong,
                  utf8(task.fingerprint()),
                  Json.write(TargetOutcome.published(task, "post-1", "sandbox://post-1"))))
          .get();

      ConsumerRecord<String, byte[]> answer =
          await()
              .atMost(Duration.ofSeconds(60))
              .until(
                  () ->
                      TopicReader.readAll(
                              client,
                              topics.results().name(),
                              new StringDeserializer(),
                              new ByteArrayDeserializer())
                          .stream()
                          .filter(r -> "req-misrouted".equals(r.key()))
                          .findFirst()
                          .orElse(null),
                  r -> r != null);
      assertThat(Json.MAPPER.readTree(answer.value()).at("/results/0/status").asText())
          .as(new String(answer.value(), StandardCharsets.UTF_8))
          .isEqualTo("published");
      List<ConsumerRecord<String, byte[]>> rerouted =
          TopicReader.readAll(
                  client,
                  topics.outcomes().name(),
                  new StringDeserializer(),
                  new ByteArrayDeserializer())
              .stream()
              .filter(r -> r.headers().lastHeader("lmp-rerouted-from") != null)
              .toList();
      assertThat(rerouted).hasSize(1);
      assertThat(rerouted.get(0).partition()).isEqualTo(home);
      assertThat(
              TopicReader.readAll(
                  client,
                  topics.deadLetters().name(),
                  new ByteArrayDeserializer(),
                  new ByteArrayDeserializer()))
          .isEmpty();
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.TopicReader;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.LmpHeaders;
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
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records the ledger cannot read reach {@code lmp.dead-letters} on a real broker and never stop a
 * stream thread: an unreadable command (the ledger's own dead letter) and an outcome that is not
 * JSON (Kafka Streams' dead-letter queue, which TopologyTestDriver does not emulate); an account on
 * an unknown platform is skipped by the global store without stopping it.
 */
class DeadLetterIT {
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void unreadableRecordsAreDeadLetteredAndTheLedgerKeepsRunning(@TempDir Path dir) {
    String bootstrap = TestBroker.bootstrapServers();
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 2);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = 2);
    try (KafkaStreams ledger =
            LedgerApp.start(
                config,
                LedgerApp.streamsProperties(config, ClientSettings.of(bootstrap), dir, Map.of()));
        KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new ByteArraySerializer(),
                new ByteArraySerializer())) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> ledger.state() == KafkaStreams.State.RUNNING);
      producer.send(
          new ProducerRecord<>(topics.commands().name(), utf8("no-principal"), utf8("{}")));
      producer.send(new ProducerRecord<>(topics.outcomes().name(), utf8("fp"), utf8("{not json")));
      producer.send(
          new ProducerRecord<>(
              topics.accounts().name(),
              utf8("acc_x"),
              utf8("{\"accountId\":\"acc_x\",\"principal\":\"p\",\"platform\":\"myspace\"}")));
      producer.flush();

      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                List<ConsumerRecord<byte[], byte[]>> dead =
                    TopicReader.readAll(
                        ClientSettings.of(bootstrap),
                        topics.deadLetters().name(),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
                assertThat(dead)
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .contains("{}", "{not json");
                ConsumerRecord<byte[], byte[]> command =
                    dead.stream()
                        .filter(r -> new String(r.value(), StandardCharsets.UTF_8).equals("{}"))
                        .findFirst()
                        .orElseThrow();
                assertThat(
                        new String(
                            command.headers().lastHeader(LmpHeaders.ERROR_CODE).value(),
                            StandardCharsets.UTF_8))
                    .isEqualTo("missing_principal");
                ConsumerRecord<byte[], byte[]> outcome =
                    dead.stream()
                        .filter(
                            r -> new String(r.value(), StandardCharsets.UTF_8).equals("{not json"))
                        .findFirst()
                        .orElseThrow();
                assertThat(outcome.key()).isEqualTo(utf8("fp"));
                assertThat(outcome.headers().toArray()).as("error headers").isNotEmpty();
              });
      producer.send(
          new ProducerRecord<>(topics.outcomes().name(), utf8("fp2"), utf8("{still not json")));
      producer.flush();
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertThat(
                          TopicReader.readAll(
                              ClientSettings.of(bootstrap),
                              topics.deadLetters().name(),
                              new ByteArrayDeserializer(),
                              new ByteArrayDeserializer()))
                      .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                      .contains("{still not json"));
      assertThat(ledger.state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

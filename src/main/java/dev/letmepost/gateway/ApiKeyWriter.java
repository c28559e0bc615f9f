package dev.letmepost.gateway;

import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes API key records to {@code lmp.api-keys}, keyed by the key's hash, and waits for acks. */
public final class ApiKeyWriter {
  private ApiKeyWriter() {}

  public static void write(
      String bootstrapServers, Topics topics, String hash, ApiKeyRecord record) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topics.apiKeys().name(), hash, Json.write(record))).get();
      producer.flush();
      producer.close(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing API key " + hash, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot write API key "
              + hash
              + " to "
              + topics.apiKeys().name()
              + ": "
              + e.getCause().getMessage(),
          e.getCause());
    }
  }
}

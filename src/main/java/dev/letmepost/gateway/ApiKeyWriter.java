package dev.letmepost.gateway;

import dev.letmepost.wire.ClientSettings;
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

  /** The settings of the writer's producer: acks=all. */
  static Map<String, Object> producerConfig(ClientSettings client) {
    return client.config(Map.of(ProducerConfig.ACKS_CONFIG, "all"));
  }

  public static void write(ClientSettings client, Topics topics, String hash, ApiKeyRecord record) {
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            producerConfig(client), new StringSerializer(), new ByteArraySerializer())) {
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

package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.Services;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.ledger.LedgerTopology;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateway + ledger instances sharing the ledger's partitions: a key, batch or request held by
 * one instance is read through the other (forwarded by key owner, or asked of every peer), and a
 * post sent to either is answered.
 */
class GatewayForwardingIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String BODY =
      "{\"targets\":[{\"accountId\":\"acc_demo_bluesky\"}],\"text\":\"forwarded\"}";

  /** One gateway with its ledger instance. */
  private record Instance(GatewayService gateway, Services services, URI base) {
    KafkaStreams ledger() {
      return services.ledger();
    }

    HostInfo host() {
      return new HostInfo("127.0.0.1", gateway.port());
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void readsOfDataHeldByTheOtherInstanceAreForwarded(@TempDir Path dir) throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 3);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = 3);
    String key = ApiKeys.generate(new SecureRandom());
    ApiKeyWriter.write(
        ClientSettings.of(TestBroker.bootstrapServers()),
        topics,
        ApiKeys.hash(key),
        ApiKeyRecord.active(Services.DEMO_PRINCIPAL, Instant.now()));
    Instance a = start(config, dir.resolve("a"), true);
    Instance b = null;
    try {
      b = start(config, dir.resolve("b"), false);
      Instance first = a;
      Instance second = b;
      Awaitility.await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () ->
                  ready(first)
                      && ready(second)
                      && activeTasks(first.ledger()) > 0
                      && activeTasks(second.ledger()) > 0
                      && first.ledger().metadataForAllStreamsClients().size() == 2);

      // One idempotency key whose replay record lives on each instance.
      String keyOnA = keyOwnedBy(a, "on-a-");
      String keyOnB = keyOwnedBy(a, "on-b-", b.host());
      for (String idem : new String[] {keyOnA, keyOnB}) {
        HttpResponse<byte[]> posted = post(b, key, idem);
        assertThat(posted.statusCode()).as(new String(posted.body())).isEqualTo(201);
        JsonNode envelope = Json.MAPPER.readTree(posted.body());
        String batchId = envelope.get("id").asText();
        String requestId = posted.headers().firstValue("Lmp-Request-Id").orElseThrow();
        for (Instance reader : new Instance[] {a, b}) {
          HttpResponse<byte[]> batch = get(reader, key, "/v1/batches/" + batchId);
          assertThat(batch.statusCode()).as("batch via " + reader.base()).isEqualTo(200);
          assertThat(batch.body()).isEqualTo(posted.body());
          HttpResponse<byte[]> request = get(reader, key, "/v1/requests/" + requestId);
          assertThat(request.statusCode()).as("request via " + reader.base()).isEqualTo(201);
          assertThat(request.body()).isEqualTo(posted.body());
          HttpResponse<byte[]> keyView = get(reader, key, "/v1/idempotency-keys/" + idem);
          assertThat(keyView.statusCode()).as("key via " + reader.base()).isEqualTo(200);
          assertThat(Json.MAPPER.readTree(keyView.body()).at("/batch/id").asText())
              .isEqualTo(batchId);
        }
        HttpResponse<byte[]> retry = post(a, key, idem);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(retry.body()).isEqualTo(posted.body());
      }
      HttpResponse<byte[]> missing = get(a, key, "/v1/batches/batch_NOPE");
      assertThat(missing.statusCode()).isEqualTo(404);
      for (Instance i : new Instance[] {a, b}) {
        String metrics =
            new String(get(i, key, "/metrics").body(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(metrics)
            .as("reads of the other instance's data were forwarded from " + i.base())
            .containsPattern("lmp_gateway_forwarded_reads_total\\{outcome=\"found\"} [1-9]");
      }
    } finally {
      close(b);
      close(a);
    }
  }

  private static Instance start(LedgerConfig config, Path dir, boolean demo) {
    GatewayService gateway =
        GatewayService.bind(
            new GatewayService.Options("127.0.0.1", 0, null, GatewayConfig.defaults()));
    Map<String, Object> overrides = new HashMap<>(gateway.streamsOverrides());
    overrides.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
    overrides.put(StreamsConfig.consumerPrefix("heartbeat.interval.ms"), 500);
    Services services =
        Services.start(
            new Services.Options(
                TestBroker.bootstrapServers(),
                0,
                dir,
                (short) 1,
                demo,
                config,
                overrides,
                demo,
                0,
                null,
                "fwd-" + dir.getFileName(),
                Map.of(),
                Duration.ZERO));
    gateway.attach(services.client(), config.topics(), config, services.ledger());
    return new Instance(gateway, services, URI.create("http://127.0.0.1:" + gateway.port()));
  }

  private static void close(Instance i) {
    if (i != null) {
      i.gateway().close();
      i.services().close();
    }
  }

  private static boolean ready(Instance i) throws Exception {
    return HTTP.send(
                HttpRequest.newBuilder(i.base().resolve("/readyz")).build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode()
        == 200;
  }

  /** A fresh idempotency key whose fingerprint's active host is {@code owner}. */
  private static String keyOwnedBy(Instance via, String prefix, HostInfo owner) {
    for (int i = 0; ; i++) {
      String candidate = prefix + i;
      HostInfo host =
          via.ledger()
              .queryMetadataForKey(
                  LedgerTopology.REPLAY_STORE,
                  Gateway.fingerprint(Services.DEMO_PRINCIPAL, candidate),
                  Serdes.String().serializer())
              .activeHost();
      if (host.equals(owner)) {
        return candidate;
      }
    }
  }

  private static String keyOwnedBy(Instance owner, String prefix) {
    return keyOwnedBy(owner, prefix, owner.host());
  }

  private static HttpResponse<byte[]> post(Instance i, String apiKey, String idem)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(i.base().resolve("/v1/posts"))
            .header("Authorization", "Bearer " + apiKey)
            .header("Idempotency-Key", idem)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY.replace("forwarded", idem)))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpResponse<byte[]> get(Instance i, String apiKey, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(i.base().resolve(path))
            .header("Authorization", "Bearer " + apiKey)
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static int activeTasks(KafkaStreams streams) {
    return streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
  }
}

package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.gateway.GatewayConfig;
import dev.letmepost.gateway.GatewayService;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client on the shared embedded KRaft broker against {@code lmp serve}'s components (ledger,
 * demo accounts, sandbox publishers, HTTP gateway): a post over Kafka and its envelope, its replay
 * byte for byte, its events; the same over HTTP; one key over both transports is one batch.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClientIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int PARTITIONS = 3;

  @TempDir static Path data;
  static TopicNames names;
  static Services services;
  static GatewayService gateway;
  static String apiKey;
  static KafkaClient kafka;
  static GatewayClient http;

  @BeforeAll
  static void start() throws Exception {
    String prefix = TestBroker.uniquePrefix();
    Topics topics = new Topics(prefix);
    names = TopicNames.withPrefix(prefix);
    LedgerConfig ledger = LedgerConfig.defaults(topics).with(c -> c.partitions = PARTITIONS);
    TestBroker.createTopics(topics, PARTITIONS);
    gateway =
        GatewayService.bind(
            new GatewayService.Options("127.0.0.1", 0, null, GatewayConfig.defaults()));
    services =
        Services.start(
            Services.Options.allInOne(
                TestBroker.bootstrapServers(), data, true, ledger, gateway.streamsOverrides()));
    apiKey = ApiKeys.generate(new SecureRandom());
    ApiKeyWriter.write(
        services.client(),
        topics,
        ApiKeys.hash(apiKey),
        ApiKeyRecord.active(Services.DEMO_PRINCIPAL, Instant.now()));
    gateway.attach(services.client(), topics, ledger, services.ledger());
    URI base = URI.create("http://127.0.0.1:" + gateway.port());
    assertThat(services.awaitRunning(Duration.ofSeconds(90))).as("ledger RUNNING").isTrue();
    assertThat(gateway.awaitKeys(Duration.ofSeconds(30))).as("keys loaded").isTrue();
    HttpClient plain = HttpClient.newHttpClient();
    Awaitility.await()
        .atMost(WAIT)
        .until(
            () ->
                plain
                        .send(
                            HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
    kafka = new KafkaClient(Map.of("bootstrap.servers", TestBroker.bootstrapServers()), names);
    http = new GatewayClient(base, apiKey);
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (services != null) {
      services.close();
    }
  }

  private static Post post(String text) {
    return Post.builder()
        .account("acc_demo_twitter")
        .account("acc_demo_linkedin")
        .account("acc_demo_bluesky")
        .text(text)
        .build();
  }

  @Test
  void aPostOverKafkaIsAnsweredWithItsEnvelopeItsRetryReplaysItAndItsEventsRead() throws Exception {
    String key = IdempotencyKeys.fromUpstream("order-4711", "announce");
    Command command = Command.of(Services.DEMO_PRINCIPAL, key, Request.post(post("over kafka")));
    Answer first = kafka.call(command, WAIT);
    assertThat(first.status()).isEqualTo(201);
    assertThat(first.replayed()).isFalse();
    assertThat(first.idempotencyKey()).isEqualTo(key);
    Envelope envelope = first.envelope().orElseThrow();
    assertThat(envelope.status()).isEqualTo(Envelope.BatchStatus.PUBLISHED);
    assertThat(envelope.results())
        .extracting(Envelope.TargetResult::status)
        .containsOnly(Envelope.TargetStatus.PUBLISHED);

    List<ConsumerRecord<String, byte[]>> commands = read(names.commands());
    ConsumerRecord<String, byte[]> sent =
        commands.stream()
            .filter(r -> command.fingerprint().equals(r.key()))
            .findFirst()
            .orElseThrow();
    assertThat(sent.partition())
        .as("keyed by the fingerprint, in the partition the ledger keeps its replay record in")
        .isEqualTo(
            Utils.toPositive(Utils.murmur2(command.fingerprint().getBytes(StandardCharsets.UTF_8)))
                % PARTITIONS);

    Answer replay = kafka.post(Services.DEMO_PRINCIPAL, key, post("over kafka"), WAIT);
    assertThat(replay.replayed()).isTrue();
    assertThat(replay.status()).isEqualTo(201);
    assertThat(replay.requestId()).isNotEqualTo(first.requestId());
    assertThat(replay.body()).as("byte for byte").isEqualTo(first.body());
    assertThat(replay.keyExpires()).isEqualTo(first.keyExpires());

    List<Event> events =
        read(names.events()).stream()
            .filter(r -> envelope.id().equals(r.key()))
            .map(r -> Event.parse(r.value()))
            .toList();
    assertThat(events)
        .extracting(Event::type)
        .startsWith(Event.BATCH_ACCEPTED)
        .endsWith(Event.BATCH_COMPLETED);
    assertThat(events).filteredOn(e -> e instanceof Event.TargetEvent).hasSize(3);
    assertThat(((Event.BatchEvent) events.get(events.size() - 1)).batch()).isEqualTo(envelope);

    assertThat(SandboxPlatform.readPosts(data.resolve("sandbox")))
        .filteredOn(p -> p.text().equals("over kafka"))
        .hasSize(3);
  }

  @Test
  void aPostOverHttpIsTheSameAnswerAndOneKeyOverBothTransportsIsOneBatch() throws Exception {
    String key = IdempotencyKeys.fromUpstream("order-4712", "announce");
    Answer overHttp = http.post(post("over http"), key, WAIT);
    assertThat(overHttp.status()).isEqualTo(201);
    assertThat(overHttp.replayed()).isFalse();
    assertThat(overHttp.requestId()).startsWith("req_");
    Envelope envelope = overHttp.envelope().orElseThrow();
    assertThat(envelope.id()).isEqualTo(overHttp.batchId());
    assertThat(envelope.status()).isEqualTo(Envelope.BatchStatus.PUBLISHED);

    Answer againOverHttp = http.post(post("over http"), key, WAIT);
    assertThat(againOverHttp.replayed()).isTrue();
    assertThat(againOverHttp.body()).isEqualTo(overHttp.body());

    Answer overKafka = kafka.post(Services.DEMO_PRINCIPAL, key, post("over http"), WAIT);
    assertThat(overKafka.replayed()).as("the gateway's batch, replayed").isTrue();
    assertThat(overKafka.body()).isEqualTo(overHttp.body());

    Answer conflict = http.post(post("over http, changed"), key, WAIT);
    assertThat(conflict.status()).isEqualTo(422);
    assertThat(conflict.error().orElseThrow().code()).isEqualTo("idempotency_conflict");
    assertThat(SandboxPlatform.readPosts(data.resolve("sandbox")))
        .filteredOn(p -> p.text().startsWith("over http"))
        .hasSize(3);
  }

  @Test
  void theDocumentedProducerPostsOncePerWorkflowStep() throws Exception {
    Envelope first = Snippets.announce(TestBroker.bootstrapServers(), names, "wf-snippet");
    assertThat(first.status()).isEqualTo(Envelope.BatchStatus.PUBLISHED);
    assertThat(first.results()).hasSize(2);
    Envelope retried = Snippets.announce(TestBroker.bootstrapServers(), names, "wf-snippet");
    assertThat(retried).as("the retried step replays the first batch").isEqualTo(first);
    assertThat(SandboxPlatform.readPosts(data.resolve("sandbox")))
        .filteredOn(p -> p.text().equals("2.4 is out"))
        .hasSize(2);
  }

  private static List<ConsumerRecord<String, byte[]>> read(String topic) {
    return TopicReader.readAll(
        services.client(), topic, new StringDeserializer(), new ByteArrayDeserializer());
  }
}

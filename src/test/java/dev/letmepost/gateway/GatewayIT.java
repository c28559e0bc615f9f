package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lmp serve}'s components (ledger, demo accounts, sandbox publisher, HTTP gateway, demo key)
 * on the shared embedded KRaft broker, driven over plain HTTP the way the documentation page's curl
 * drives them.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GatewayIT {
  private static final String DOC_KEY = "01HY6X4AWBJM2K9F2PTQMRD9JQ";

  /** The documentation page's heredoc body, account ids filled in, byte for byte. */
  private static final String DOC_BODY =
      "{\n"
          + "  \"targets\": [\n"
          + "    { \"accountId\": \"acc_demo_twitter\" },\n"
          + "    { \"accountId\": \"acc_demo_linkedin\" },\n"
          + "    { \"accountId\": \"acc_demo_bluesky\" }\n"
          + "  ],\n"
          + "  \"text\": \"shipped\"\n"
          + "}\n";

  @TempDir static Path data;
  static Topics topics;
  static Services services;
  static GatewayService gateway;
  static String demoKey;
  static String secondKey;
  static URI base;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void startServe() throws Exception {
    topics = new Topics(TestBroker.uniquePrefix());
    LedgerConfig ledger = LedgerConfig.defaults(topics).with(c -> c.partitions = 3);
    TestBroker.createTopics(topics, 3);
    gateway =
        GatewayService.bind(
            new GatewayService.Options("127.0.0.1", 0, null, GatewayConfig.defaults()));
    services =
        Services.start(
            Services.Options.allInOne(
                TestBroker.bootstrapServers(), data, true, ledger, gateway.streamsOverrides()));
    demoKey = DemoKey.choose(null, new SecureRandom());
    secondKey = ApiKeys.generate(new SecureRandom());
    ApiKeyWriter.write(
        services.client(),
        topics,
        ApiKeys.hash(demoKey),
        ApiKeyRecord.active(Services.DEMO_PRINCIPAL, Instant.now()));
    ApiKeyWriter.write(
        services.client(),
        topics,
        ApiKeys.hash(secondKey),
        ApiKeyRecord.active("key_second", Instant.now()));
    gateway.attach(services.client(), topics, ledger, services.ledger());
    base = URI.create("http://127.0.0.1:" + gateway.port());
    assertThat(services.awaitRunning(Duration.ofSeconds(90))).as("ledger RUNNING").isTrue();
    assertThat(gateway.awaitKeys(Duration.ofSeconds(30))).as("keys loaded").isTrue();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> send(HttpRequest.newBuilder(base.resolve("/readyz"))).statusCode() == 200);
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (services != null) {
      services.close();
    }
  }

  static HttpResponse<byte[]> send(HttpRequest.Builder b) throws Exception {
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** The documentation page's curl: POST, bearer key, Idempotency-Key, JSON body. */
  static HttpResponse<byte[]> curl(String apiKey, String idempotencyKey, String body)
      throws Exception {
    return send(
        HttpRequest.newBuilder(base.resolve("/v1/posts"))
            .header("Authorization", "Bearer " + apiKey)
            .header("Idempotency-Key", idempotencyKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    return TopicReader.readAll(
        services.client(), topic, new StringDeserializer(), new ByteArrayDeserializer());
  }

  static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  static JsonNode json(byte[] body) throws Exception {
    return Json.MAPPER.readTree(body);
  }

  static String text(byte[] body) {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Test
  void documentationPageFlowPublishesOnceReplaysVerbatimAndConflicts() throws Exception {
    HttpResponse<byte[]> first = curl(demoKey, DOC_KEY, DOC_BODY);
    assertThat(first.statusCode()).as(text(first.body())).isEqualTo(201);
    assertThat(header(first, "Idempotent-Replayed")).isEqualTo("false");
    assertThat(header(first, "Idempotency-Key")).isEqualTo(DOC_KEY);
    assertThat(header(first, "Content-Type")).isEqualTo("application/json");
    assertThat(Instant.parse(header(first, "Idempotency-Key-Expires")))
        .isAfter(Instant.now().plus(Duration.ofHours(23)));
    JsonNode envelope = json(first.body());
    assertThat(envelope.get("status").asText()).isEqualTo("published");
    assertThat(envelope.get("results"))
        .hasSize(3)
        .allSatisfy(r -> assertThat(r.get("status").asText()).isEqualTo("published"));
    String batchId = envelope.get("id").asText();
    String firstRequest = header(first, "Lmp-Request-Id");

    HttpResponse<byte[]> retry = curl(demoKey, DOC_KEY, DOC_BODY);
    assertThat(retry.statusCode()).isEqualTo(201);
    assertThat(header(retry, "Idempotent-Replayed")).isEqualTo("true");
    assertThat(retry.body()).isEqualTo(first.body());
    assertThat(header(retry, "Idempotency-Key-Expires"))
        .isEqualTo(header(first, "Idempotency-Key-Expires"));

    HttpResponse<byte[]> conflict = curl(demoKey, DOC_KEY, DOC_BODY.replace("shipped", "shipped!"));
    assertThat(conflict.statusCode()).isEqualTo(422);
    assertThat(header(conflict, "Idempotent-Replayed")).isEqualTo("false");
    assertThat(json(conflict.body()).at("/error/code").asText()).isEqualTo("idempotency_conflict");

    HttpResponse<byte[]> other = curl(secondKey, DOC_KEY, DOC_BODY);
    assertThat(header(other, "Idempotent-Replayed"))
        .as("the same key under another API key is a separate request")
        .isEqualTo("false");
    JsonNode otherEnvelope = json(other.body());
    assertThat(otherEnvelope.get("id").asText()).isNotEqualTo(batchId);
    assertThat(otherEnvelope.get("status").asText()).isEqualTo("failed");
    assertThat(otherEnvelope.get("results"))
        .allSatisfy(r -> assertThat(r.at("/error/code").asText()).isEqualTo("account_not_found"));

    List<SandboxPlatform.AcceptedPost> posts =
        SandboxPlatform.readPosts(data.resolve("sandbox")).stream()
            .filter(p -> p.text().equals("shipped"))
            .toList();
    assertThat(posts)
        .extracting(SandboxPlatform.AcceptedPost::accountId)
        .containsExactlyInAnyOrder("acc_demo_twitter", "acc_demo_linkedin", "acc_demo_bluesky");

    // Reads: the batch, the first request and the key, for their owner only.
    HttpResponse<byte[]> batch =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/batches/" + batchId))
                .header("Authorization", "Bearer " + demoKey));
    assertThat(batch.statusCode()).isEqualTo(200);
    assertThat(batch.body()).isEqualTo(first.body());
    HttpResponse<byte[]> request =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/requests/" + firstRequest))
                .header("Authorization", "Bearer " + demoKey));
    assertThat(request.statusCode()).isEqualTo(201);
    assertThat(request.body()).isEqualTo(first.body());
    assertThat(header(request, "Idempotent-Replayed")).isEqualTo("false");
    HttpResponse<byte[]> key =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/idempotency-keys/" + DOC_KEY))
                .header("Authorization", "Bearer " + demoKey));
    assertThat(key.statusCode()).isEqualTo(200);
    assertThat(json(key.body()).get("state").asText()).isEqualTo("completed");
    assertThat(json(key.body()).at("/batch/id").asText()).isEqualTo(batchId);
    HttpResponse<byte[]> foreignBatch =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/batches/" + batchId))
                .header("Authorization", "Bearer " + secondKey));
    assertThat(foreignBatch.statusCode()).isEqualTo(404);

    HttpResponse<byte[]> metrics = send(HttpRequest.newBuilder(base.resolve("/metrics")));
    assertThat(text(metrics.body()))
        .contains("lmp_gateway_replays_total{source=\"store\"} 1.0")
        .contains("lmp_gateway_conflicts_total{code=\"idempotency_conflict\"} 1.0")
        .contains("kafka_stream_");
  }

  /**
   * The gateway keys a command by its fingerprint, so the ledger decides it in place; a bridge
   * keying the same request by anything goes through the by-fingerprint repartition. Both meet one
   * replay record.
   */
  /**
   * The dry run on a running ledger: the accounts are read from its global store by interactive
   * query (an account by id, a default account by prefix scan), for the caller only, and nothing
   * reaches a platform.
   */
  @Test
  void dryRunReadsTheRunningLedgersGlobalAccountsAndPublishesNothing() throws Exception {
    String body =
        DOC_BODY.replace("shipped", "dry run only").replace("]", ",{\"platform\":\"twitter\"}]");
    HttpResponse<byte[]> mine = validate(demoKey, body);
    HttpResponse<byte[]> theirs = validate(secondKey, body);

    assertThat(mine.statusCode()).as(text(mine.body())).isEqualTo(200);
    JsonNode verdict = json(mine.body());
    assertThat(verdict.get("results"))
        .extracting(r -> r.path("accountId").asText() + " " + r.path("error").path("code").asText())
        .containsExactly(
            "acc_demo_twitter ",
            "acc_demo_linkedin ",
            "acc_demo_bluesky ",
            "acc_demo_twitter duplicate_target");
    assertThat(theirs.statusCode()).isEqualTo(200);
    assertThat(json(theirs.body()).get("results"))
        .extracting(r -> r.path("error").path("code").asText())
        .containsExactly(
            "account_not_found", "account_not_found", "account_not_found", "no_default_account");
    assertThat(header(mine, "Lmp-Request-Id")).isNull();
    assertThat(SandboxPlatform.readPosts(data.resolve("sandbox")))
        .noneMatch(p -> p.text().equals("dry run only"));
  }

  static HttpResponse<byte[]> validate(String apiKey, String body) throws Exception {
    return send(
        HttpRequest.newBuilder(base.resolve("/v1/posts/validate"))
            .header("Authorization", "Bearer " + apiKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  @Test
  void aCommandProducedWithAnyKeyMeetsTheBatchTheGatewayKeyedByItsFingerprint() throws Exception {
    String key = "mixed-producers-" + System.nanoTime();
    String body = DOC_BODY.replace("shipped", "mixed producers");
    HttpResponse<byte[]> first = curl(demoKey, key, body);
    assertThat(first.statusCode()).isEqualTo(201);
    String fingerprint =
        dev.letmepost.command.Hashing.fingerprint(
            Services.DEMO_PRINCIPAL, LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, key);
    String firstId = header(first, "Lmp-Request-Id");
    ConsumerRecord<String, byte[]> sent =
        readAll(topics.commands().name()).stream()
            .filter(r -> firstId.equals(headerValue(r, LmpHeaders.REQUEST_ID)))
            .findFirst()
            .orElseThrow();
    assertThat(sent.key()).as("the gateway's record key").isEqualTo(fingerprint);

    java.util.Properties p = new java.util.Properties();
    p.putAll(services.client().config());
    try (var producer =
        new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(
            p,
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (int partition = 0; partition < 3; partition++) {
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add(LmpHeaders.PRINCIPAL, Services.DEMO_PRINCIPAL.getBytes(StandardCharsets.UTF_8));
        headers.add(LmpHeaders.IDEMPOTENCY_KEY, key.getBytes(StandardCharsets.UTF_8));
        headers.add(
            LmpHeaders.REQUEST_ID, ("req_bridge_" + partition).getBytes(StandardCharsets.UTF_8));
        producer
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    topics.commands().name(),
                    partition,
                    ("anything-" + partition).getBytes(StandardCharsets.UTF_8),
                    body.getBytes(StandardCharsets.UTF_8),
                    headers))
            .get();
      }
    }
    Map<String, ConsumerRecord<String, byte[]>> answers = new java.util.HashMap<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              for (ConsumerRecord<String, byte[]> r : readAll(topics.results().name())) {
                if (r.key() != null && r.key().startsWith("req_bridge_")) {
                  answers.put(r.key(), r);
                }
              }
              return answers.size() == 3;
            });
    for (ConsumerRecord<String, byte[]> answer : answers.values()) {
      assertThat(headerValue(answer, LmpHeaders.REPLAYED)).isEqualTo("true");
      assertThat(answer.value()).isEqualTo(first.body());
    }
  }

  /**
   * The replay fast path: a retry of a completed batch is answered from the ledger's store; its
   * bytes equal those the results topic carried for the first request, and the retry itself never
   * reaches Kafka (no answer for its request id on the results topic).
   */
  @Test
  void fastPathReplayEqualsTheResultsTopicBytesAndSkipsKafka() throws Exception {
    String key = "fast-path-" + System.nanoTime();
    String body = DOC_BODY.replace("shipped", "fast path");
    HttpResponse<byte[]> first = curl(demoKey, key, body);
    assertThat(first.statusCode()).isEqualTo(201);
    HttpResponse<byte[]> retry = curl(demoKey, key, body);
    assertThat(header(retry, "Idempotent-Replayed")).isEqualTo("true");

    Map<String, ConsumerRecord<String, byte[]>> results = new java.util.HashMap<>();
    for (ConsumerRecord<String, byte[]> r : readAll(topics.results().name())) {
      results.put(r.key(), r);
    }
    ConsumerRecord<String, byte[]> carried = results.get(header(first, "Lmp-Request-Id"));
    assertThat(carried).as("the first request's answer on the results topic").isNotNull();
    assertThat(retry.body()).isEqualTo(carried.value());
    assertThat(header(retry, "Idempotency-Key-Expires"))
        .isEqualTo(headerValue(carried, LmpHeaders.KEY_EXPIRES));
    assertThat(header(retry, "Lmp-Batch-Id")).isEqualTo(headerValue(carried, LmpHeaders.BATCH_ID));
    assertThat(results).doesNotContainKey(header(retry, "Lmp-Request-Id"));
  }

  @Test
  void fiftySimultaneousIdenticalRequestsMakeOneBatchAndFiftyIdenticalAnswers() throws Exception {
    String key = "storm-" + System.nanoTime();
    String body = DOC_BODY.replace("shipped", "storm");
    ExecutorService pool = Executors.newFixedThreadPool(50);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<HttpResponse<byte[]>>> calls = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        calls.add(
            pool.submit(
                (Callable<HttpResponse<byte[]>>)
                    () -> {
                      go.await();
                      return curl(demoKey, key, body);
                    }));
      }
      go.countDown();
      List<HttpResponse<byte[]>> answers = new ArrayList<>();
      for (Future<HttpResponse<byte[]>> f : calls) {
        answers.add(f.get(120, TimeUnit.SECONDS));
      }
      byte[] reference = answers.get(0).body();
      assertThat(answers)
          .allSatisfy(
              r -> {
                assertThat(r.statusCode()).as(text(r.body())).isEqualTo(201);
                assertThat(r.body()).isEqualTo(reference);
              });
      assertThat(answers)
          .extracting(r -> header(r, "Lmp-Batch-Id"))
          .containsOnly(json(reference).get("id").asText());
      assertThat(answers)
          .extracting(r -> header(r, "Idempotent-Replayed"))
          .containsOnlyOnce("false");
    } finally {
      pool.shutdownNow();
    }
    List<SandboxPlatform.AcceptedPost> posts =
        SandboxPlatform.readPosts(data.resolve("sandbox")).stream()
            .filter(p -> p.text().equals("storm"))
            .toList();
    assertThat(posts)
        .extracting(SandboxPlatform.AcceptedPost::accountId)
        .containsExactlyInAnyOrder("acc_demo_twitter", "acc_demo_linkedin", "acc_demo_bluesky");
  }

  /** {@code lmp keys create} prints a key that authenticates; {@code keys revoke} ends that. */
  @Test
  void keysCreatedAndRevokedWithTheCliTakeEffectOnTheRunningGateway() throws Exception {
    java.io.StringWriter out = new java.io.StringWriter();
    int created =
        dev.letmepost.cli.Lmp.commandLine()
            .setOut(new java.io.PrintWriter(out))
            .execute(
                "keys",
                "create",
                "--principal",
                Services.DEMO_PRINCIPAL,
                "--bootstrap-servers",
                services.bootstrapServers(),
                "--topic-prefix",
                topics.prefix());
    assertThat(created).isEqualTo(0);
    String key = out.toString().lines().findFirst().orElseThrow();
    assertThat(key).matches("lmp_live_[0-9A-Za-z]{32}");
    assertThat(out.toString()).contains("sha256: " + ApiKeys.hash(key));
    String body = DOC_BODY.replace("shipped", "cli key");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> curl(key, "cli-" + System.nanoTime(), body).statusCode() != 401);

    int revoked =
        dev.letmepost.cli.Lmp.commandLine()
            .setOut(new java.io.PrintWriter(new java.io.StringWriter()))
            .execute(
                "keys",
                "revoke",
                ApiKeys.hash(key),
                "--bootstrap-servers",
                services.bootstrapServers(),
                "--topic-prefix",
                topics.prefix());
    assertThat(revoked).isEqualTo(0);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> curl(key, "cli-after", body).statusCode() == 401);
  }

  private static String headerValue(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}

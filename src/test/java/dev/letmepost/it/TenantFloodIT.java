package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.gateway.DemoKey;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One hostile tenant against a real {@code lmp serve} in a child JVM with the default 512 MiB heap,
 * on the embedded test broker, with a slow sandbox platform (2 s a call), so that a batch runs long
 * enough for its retries to wait on it.
 *
 * <p>Principal A (the demo principal) makes 10 large envelopes (25 targets each, 9,000 four-byte
 * characters of text), which queue 20 s of platform calls on each of its sandbox accounts; then
 * floods the gateway with 400 identical retries of a batch queued behind them (each retry waits for
 * its answer, up to the gateway's answer timeout); and registers its 16 webhook endpoints on
 * receivers that accept a connection and then trickle one byte a second without ever answering.
 * Meanwhile principal B posts five batches and has one webhook receiver that answers at once. The
 * test asserts that every one of A's retries is answered (a final answer, {@code 202}, or {@code
 * 409 idempotency_in_progress}: never a hang), that A's batch published each target once, that each
 * of B's posts got its final answer and each of B's batches its {@code batch.completed} webhook,
 * that {@code /healthz} and {@code /readyz} answered throughout, and that the process is alive with
 * its heap under 512 MiB. The figures are printed for the closing note.
 */
class TenantFloodIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String KEY_A = "lmp_live_floodTenantA0000000000000000000";
  private static final String PRINCIPAL_B = "key_tenant_b";
  private static final List<String> ACCOUNTS_B = List.of("acc_b_mastodon", "acc_b_bluesky");
  private static final List<String> SANDBOX_ACCOUNTS_A =
      java.util.stream.IntStream.range(0, 25).mapToObj(i -> "acc_a_sbx_" + i).toList();
  private static final List<String> FLOODED_ACCOUNTS_A = SANDBOX_ACCOUNTS_A.subList(0, 3);
  private static final Pattern HEAP_LINE =
      Pattern.compile(
          "^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.eE+]+)", Pattern.MULTILINE);

  private final HttpClient http =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .version(HttpClient.Version.HTTP_1_1)
          .executor(Executors.newFixedThreadPool(8))
          .build();
  private URI base;

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void oneTenantsFloodLeavesAnotherTenantAnsweredAndDeliveredWithinTheHeap(@TempDir Path data)
      throws Exception {
    String prefix = TestBroker.uniquePrefix();
    Topics topics = new Topics(prefix);
    String keyB = ApiKeys.generate(new SecureRandom());
    ScheduledExecutorService trickle = Executors.newScheduledThreadPool(1);
    List<Socket> held = new CopyOnWriteArrayList<>();
    Map<String, Long> completedAtB = new ConcurrentHashMap<>();
    try (ServerSocket trickling = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        ChildLmp serve =
            ChildLmp.command(
                "letmepost-streams is running",
                List.of(
                    "serve",
                    "--demo",
                    "--bootstrap-servers",
                    TestBroker.bootstrapServers(),
                    "--topic-prefix",
                    prefix,
                    "--partitions",
                    "3",
                    "--replication-factor",
                    "1",
                    "--data-dir",
                    data.toString(),
                    "--http-port",
                    "0",
                    "--sandbox-port",
                    "0",
                    "--sandbox-latency",
                    "2s",
                    "--instance-id",
                    "flood-" + prefix),
                Map.of(DemoKey.ENV, KEY_A))) {
      HttpServer receiverB =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
      receiverB.createContext(
          "/hook",
          exchange -> {
            JsonNode event = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            if ("batch.completed".equals(event.path("type").asText())) {
              completedAtB.putIfAbsent(
                  event.path("data").path("batch").path("id").asText(), System.currentTimeMillis());
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
          });
      receiverB.start();
      startTrickling(trickling, trickle, held);
      try {
        serve.awaitRunning(WAIT);
        base = URI.create("http://127.0.0.1:" + serve.httpPort(WAIT));
        registerTenants(topics, keyB);
        Awaitility.await()
            .atMost(WAIT)
            .until(() -> get("/v1/batches/batch_none", keyB).statusCode() == 404);

        // Webhooks: A's 16 endpoints on trickling receivers, B's one on a good receiver.
        for (int i = 0; i < 16; i++) {
          assertThat(
                  createEndpoint(
                          KEY_A, "http://127.0.0.1:" + trickling.getLocalPort() + "/slow-" + i)
                      .statusCode())
              .as("A's endpoint %d", i)
              .isEqualTo(201);
        }
        assertThat(
                createEndpoint(
                        keyB, "http://127.0.0.1:" + receiverB.getAddress().getPort() + "/hook")
                    .statusCode())
            .isEqualTo(201);

        HeapWatch heap = new HeapWatch();
        ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor();
        var unusedSampling = watch.scheduleAtFixedRate(heap::sample, 0, 500, TimeUnit.MILLISECONDS);

        // A: 10 large envelopes (25 targets each), each under its own key; they queue 20 s of
        // calls on each of A's sandbox accounts.
        String big = "\uD83D\uDE80".repeat(9_000);
        List<CompletableFuture<HttpResponse<byte[]>>> large = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          large.add(postAsync(KEY_A, "large-" + i, body(SANDBOX_ACCOUNTS_A, big + i)));
        }
        // A: one batch behind them (so it runs for tens of seconds), then 400 identical retries
        // of it at once.
        String bodyA = body(FLOODED_ACCOUNTS_A, "flood");
        CompletableFuture<HttpResponse<byte[]>> firstA = postAsync(KEY_A, "flood-key", bodyA);
        Awaitility.await()
            .atMost(WAIT)
            .until(() -> get("/v1/idempotency-keys/flood-key", KEY_A).statusCode() == 200);
        List<CompletableFuture<HttpResponse<byte[]>>> flood = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
          flood.add(postAsync(KEY_A, "flood-key", bodyA));
        }

        // B, meanwhile: five posts, each retried under its key until final; health throughout.
        List<Long> latenciesB = new ArrayList<>();
        List<String> batchesB = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          long start = System.nanoTime();
          JsonNode envelope = postUntilFinal(keyB, "b-" + i, body(ACCOUNTS_B, "b says " + i));
          latenciesB.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
          assertThat(envelope.path("status").asText()).isEqualTo("published");
          batchesB.add(envelope.path("id").asText());
          assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
          assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
        }

        Map<Integer, Integer> floodStatuses = new TreeMap<>();
        for (CompletableFuture<HttpResponse<byte[]>> f : flood) {
          HttpResponse<byte[]> r = f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
          floodStatuses.merge(r.statusCode(), 1, Integer::sum);
          assertThat(r.statusCode())
              .as(new String(r.body(), StandardCharsets.UTF_8))
              .isIn(201, 202, 409);
        }
        assertThat(firstA.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isIn(201, 202);
        Map<Integer, Integer> largeStatuses = new TreeMap<>();
        for (CompletableFuture<HttpResponse<byte[]>> f : large) {
          largeStatuses.merge(
              f.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode(), 1, Integer::sum);
        }
        assertThat(largeStatuses.keySet()).as("large envelopes answered").isSubsetOf(201, 202, 207);

        Awaitility.await()
            .atMost(WAIT)
            .untilAsserted(() -> assertThat(completedAtB.keySet()).containsAll(batchesB));
        JsonNode finalA = postUntilFinal(KEY_A, "flood-key", bodyA);
        assertThat(finalA.path("status").asText()).isEqualTo("published");
        var posts = SandboxPlatform.readPosts(data.resolve("sandbox"));
        for (String account : FLOODED_ACCOUNTS_A) {
          assertThat(
                  posts.stream()
                      .filter(p -> p.accountId().equals(account) && p.text().equals("flood"))
                      .count())
              .as("posts of the flooded batch to %s", account)
              .isEqualTo(1);
        }
        heap.sample();
        watch.shutdownNow();
        assertThat(serve.isAlive()).as("serve alive").isTrue();
        assertThat(heap.max.get()).as("heap used").isLessThan(512L * 1024 * 1024);
        System.out.printf(
            "TenantFloodIT: A's 400 retries answered %s; A's 10 large posts %s; B's post latencies"
                + " ms %s; B's webhook receiver got batch.completed for %d of %d batches; A's"
                + " trickling receivers held %d connections; heap used max %d MiB of 512%n",
            floodStatuses,
            largeStatuses,
            latenciesB,
            completedAtB.size(),
            batchesB.size(),
            held.size(),
            heap.max.get() / (1024 * 1024));
      } finally {
        receiverB.stop(0);
      }
    } finally {
      trickle.shutdownNow();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  /** The heap the child reports on its /metrics, its largest sample. */
  private final class HeapWatch {
    final AtomicLong max = new AtomicLong();

    void sample() {
      try {
        String metrics = new String(get("/metrics", null).body(), StandardCharsets.UTF_8);
        Matcher m = HEAP_LINE.matcher(metrics);
        long sum = 0;
        while (m.find()) {
          sum += (long) Double.parseDouble(m.group(1));
        }
        max.accumulateAndGet(sum, Math::max);
      } catch (Exception e) {
        // a sample missed under load; the next one counts
      }
    }
  }

  private static void startTrickling(
      ServerSocket server, ScheduledExecutorService trickle, List<Socket> held) {
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  held.add(s);
                  OutputStream out = s.getOutputStream();
                  byte[] line = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII);
                  int[] next = {0};
                  var unusedTrickle =
                      trickle.scheduleAtFixedRate(
                          () -> {
                            try {
                              if (next[0] < line.length - 2) {
                                out.write(line[next[0]++]);
                                out.flush();
                              }
                            } catch (IOException e) {
                              // the dispatcher gave up on it: what it should do
                            }
                          },
                          1,
                          1,
                          TimeUnit.SECONDS);
                } catch (IOException e) {
                  return;
                }
              }
            },
            "trickling-receivers");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private static void registerTenants(Topics topics, String keyB) {
    ClientSettings client = ClientSettings.of(TestBroker.bootstrapServers(), Map.of());
    ApiKeyWriter.write(
        client, topics, ApiKeys.hash(keyB), ApiKeyRecord.active(PRINCIPAL_B, Instant.now()));
    try (KafkaProducer<String, Account> producer =
        new KafkaProducer<>(
            client.config(),
            topics.accounts().keySerde().serializer(),
            topics.accounts().valueSerde().serializer())) {
      var unusedB0 =
          producer.send(
              new ProducerRecord<>(
                  topics.accounts().name(),
                  ACCOUNTS_B.get(0),
                  new Account(
                      ACCOUNTS_B.get(0),
                      PRINCIPAL_B,
                      "mastodon",
                      "@b",
                      Account.Status.connected,
                      null,
                      false)));
      var unusedB1 =
          producer.send(
              new ProducerRecord<>(
                  topics.accounts().name(),
                  ACCOUNTS_B.get(1),
                  new Account(
                      ACCOUNTS_B.get(1),
                      PRINCIPAL_B,
                      "bluesky",
                      "b.example",
                      Account.Status.connected,
                      null,
                      false)));
      for (String id : SANDBOX_ACCOUNTS_A) {
        var unusedA =
            producer.send(
                new ProducerRecord<>(
                    topics.accounts().name(),
                    id,
                    new Account(
                        id,
                        dev.letmepost.cli.Services.DEMO_PRINCIPAL,
                        "sandbox",
                        "@" + id,
                        Account.Status.connected,
                        null,
                        false)));
      }
      producer.flush();
    }
  }

  private static String body(List<String> accounts, String text) {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < accounts.size(); i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"").append(accounts.get(i)).append("\"}");
    }
    return b.append("],\"text\":\"").append(text).append("\"}").toString();
  }

  private JsonNode postUntilFinal(String apiKey, String key, String body) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      HttpResponse<byte[]> r = postAsync(apiKey, key, body).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      if (r.statusCode() == 201 || r.statusCode() == 207) {
        return Json.MAPPER.readTree(r.body());
      }
      assertThat(r.statusCode())
          .as(new String(r.body(), StandardCharsets.UTF_8))
          .isIn(202, 409, 503);
      assertThat(System.nanoTime()).as("final answer in time for %s", key).isLessThan(deadline);
      TimeUnit.MILLISECONDS.sleep(250); // a client's pause between retries, not a wait for time
    }
  }

  private CompletableFuture<HttpResponse<byte[]>> postAsync(
      String apiKey, String idempotencyKey, String body) {
    return http.sendAsync(
        HttpRequest.newBuilder(base.resolve("/v1/posts"))
            .timeout(WAIT)
            .header("Authorization", "Bearer " + apiKey)
            .header("Idempotency-Key", idempotencyKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> createEndpoint(String apiKey, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(base.resolve("/v1/webhook-endpoints"))
            .timeout(WAIT)
            .header("Authorization", "Bearer " + apiKey)
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"url\":\""
                        + url
                        + "\",\"events\":"
                        + Json.MAPPER.writeValueAsString(
                            Set.of("batch.accepted", "target.published", "batch.completed"))
                        + "}"))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private HttpResponse<byte[]> get(String path, String apiKey) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10));
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}

package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.testing.ChildCluster;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.wire.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology of {@code docker-compose.yml} without Docker: three Kafka nodes ({@link
 * ChildCluster}) and every role as its own process ({@link ChildLmp}): the sandbox platform, two
 * gateways (the first with {@code --demo}) and a publisher of every platform sending to the
 * sandbox. The README's curl flow runs against it (first answer, a replay byte for byte from the
 * other gateway, a conflict), each role answers its own {@code /healthz}, {@code /readyz} and
 * {@code /metrics}, and a broker is killed and restarted while posts keep being answered. The
 * sandbox's posts.jsonl holds each target exactly once.
 */
class RolesIT {
  private static final String API_KEY = "lmp_live_myFixedDemoKey0000000000000";
  private static final Duration START = Duration.ofMinutes(2);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern HEALTH =
      Pattern.compile("/healthz, /readyz and /metrics on http://[^:]+:(\\d+)");
  private static final String BODY =
      """
      {
        "targets": [
          { "accountId": "acc_demo_twitter" },
          { "accountId": "acc_demo_linkedin" },
          { "accountId": "acc_demo_bluesky" }
        ],
        "text": "shipped"
      }
      """;

  private final List<String> figures = new ArrayList<>();
  private final long started = System.nanoTime();

  @Test
  void everyRoleAsItsOwnProcessServesTheDocumentedFlowAndSurvivesABrokerRestart(@TempDir Path dir) {
    Assertions.assertTimeoutPreemptively(Duration.ofMinutes(5), () -> run(dir));
  }

  private void run(Path dir) throws Exception {
    String prefix = "roles.";
    try (ChildCluster cluster = ChildCluster.start(dir.resolve("cluster"), 3)) {
      String bootstrap = cluster.bootstrapServers();
      phase("3 Kafka nodes up");
      List<String> ledgerArgs =
          List.of(
              "--bootstrap-servers",
              bootstrap,
              "--topic-prefix",
              prefix,
              "--partitions",
              "3",
              "--replication-factor",
              "3",
              "--http-port",
              "0");
      try (ChildLmp sandbox =
              ChildLmp.command(
                  "sandbox platform listening",
                  List.of(
                      "sandbox",
                      "--port",
                      "0",
                      "--health-port",
                      "0",
                      "--data-dir",
                      dir.resolve("sandbox").toString()),
                  Map.of());
          ChildLmp gateway1 =
              ChildLmp.command(
                  "HTTP API on",
                  concat(
                      List.of(
                          "gateway",
                          "--demo",
                          "--data-dir",
                          dir.resolve("g1").toString(),
                          "--webhook-signing-key-file",
                          signingKey(dir).toString(),
                          "--webhook-allow-private-addresses"),
                      ledgerArgs),
                  Map.of("LMP_DEMO_API_KEY", API_KEY))) {
        sandbox.awaitRunning(START);
        String sandboxUrl =
            "http://127.0.0.1:"
                + sandbox.awaitOutput(Pattern.compile("listening on http://[^:]+:(\\d+)"), START);
        URI sandboxHealth = local(sandbox.awaitOutput(HEALTH, START));
        URI g1 = local(Integer.toString(gateway1.httpPort(START)));
        awaitReady(g1);
        phase("gateway-1 ready (it created the topics and registered the demo key and accounts)");
        try (ChildLmp gateway2 =
                ChildLmp.command(
                    "HTTP API on",
                    concat(
                        List.of("gateway", "--data-dir", dir.resolve("g2").toString()), ledgerArgs),
                    Map.of());
            ChildLmp publisher =
                ChildLmp.command(
                    "publishing ",
                    List.of(
                        "publisher",
                        "--bootstrap-servers",
                        bootstrap,
                        "--topic-prefix",
                        prefix,
                        "--platform",
                        "all",
                        "--instance-id",
                        "publisher-1",
                        "--sandbox-url",
                        sandboxUrl,
                        "--health-port",
                        "0"),
                    Map.of())) {
          URI g2 = local(Integer.toString(gateway2.httpPort(START)));
          publisher.awaitRunning(START);
          URI publisherHealth = local(publisher.awaitOutput(HEALTH, START));
          awaitReady(g2);
          awaitReady(publisherHealth);
          awaitReady(sandboxHealth);
          phase("gateway-2 and the publisher ready");

          // The README's curl: first answer, the same call on the other instance, a conflict.
          HttpResponse<byte[]> first = post(g1, "01HY6X4AWBJM2K9F2PTQMRD9JQ", BODY);
          assertThat(first.statusCode()).as(text(first)).isEqualTo(201);
          assertThat(first.headers().firstValue("Idempotent-Replayed")).hasValue("false");
          JsonNode envelope = Json.MAPPER.readTree(first.body());
          assertThat(envelope.path("status").asText()).isEqualTo("published");
          assertThat(envelope.path("results")).hasSize(3);
          phase("first POST answered 201");

          HttpResponse<byte[]> replay = post(g2, "01HY6X4AWBJM2K9F2PTQMRD9JQ", BODY);
          assertThat(replay.statusCode()).isEqualTo(201);
          assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
          assertThat(replay.body()).isEqualTo(first.body());

          HttpResponse<byte[]> conflict =
              post(g2, "01HY6X4AWBJM2K9F2PTQMRD9JQ", BODY.replace("shipped", "changed"));
          assertThat(conflict.statusCode()).isEqualTo(422);
          assertThat(text(conflict)).contains("idempotency_conflict");

          String batchId = envelope.path("id").asText();
          for (URI g : List.of(g1, g2)) {
            HttpResponse<byte[]> batch = get(g.resolve("/v1/batches/" + batchId), true);
            assertThat(batch.statusCode()).as("GET batch on " + g).isEqualTo(200);
            assertThat(batch.body()).isEqualTo(first.body());
          }

          // Webhook routes: served by the gateway given the signing key, 503 on the one without.
          HttpResponse<byte[]> endpoint =
              HTTP.send(
                  HttpRequest.newBuilder(g1.resolve("/v1/webhook-endpoints"))
                      .timeout(Duration.ofSeconds(30))
                      .header("Authorization", "Bearer " + API_KEY)
                      .header("Content-Type", "application/json")
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"url\":\"https://127.0.0.1:9/hook\",\"events\":[\"batch.completed\"]}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
          assertThat(endpoint.statusCode()).as(text(endpoint)).isEqualTo(201);
          assertThat(Json.MAPPER.readTree(endpoint.body()).path("secret").asText())
              .startsWith("whsec_");
          HttpResponse<byte[]> noKey = get(g2.resolve("/v1/webhook-endpoints"), true);
          assertThat(noKey.statusCode()).as(text(noKey)).isEqualTo(503);
          assertThat(text(noKey)).contains("webhooks_unavailable");
          phase("webhook routes: 201 on gateway-1 (key file), 503 on gateway-2 (none)");

          // Each role's own health and metrics.
          for (URI health : List.of(g1, g2, publisherHealth, sandboxHealth)) {
            assertThat(get(health.resolve("/healthz"), false).statusCode()).isEqualTo(200);
            assertThat(get(health.resolve("/readyz"), false).statusCode()).isEqualTo(200);
          }
          String g1Metrics = metrics(g1);
          assertThat(g1Metrics)
              .contains("lmp_gateway_http_requests_seconds_count")
              .contains(
                  "lmp_gateway_target_outcomes_total{platform=\"bluesky\",status=\"published\"} 1.0");
          assertThat(metrics(g2))
              .contains("lmp_gateway_replays_total")
              .contains("kafka_stream_client_state");
          await()
              .atMost(Duration.ofSeconds(30))
              .untilAsserted(
                  () ->
                      assertThat(metrics(publisherHealth))
                          .contains(
                              "lmp_publisher_outcomes_written_total{role=\"publisher\"} 3.0"));
          // Caught up: at most the commit marker of the ledger's last transaction (one offset).
          assertThat(metrics(publisherHealth))
              .containsPattern(
                  "lmp_consumer_group_lag\\{group=\"roles.publisher-bluesky\",role=\"publisher\"}"
                      + " [01]\\.0");
          assertThat(metrics(sandboxHealth)).contains("role=\"sandbox\"");
          Map<String, Long> heap = new LinkedHashMap<>();
          heap.put("gateway-1", heapUsed(metrics(g1)));
          heap.put("gateway-2", heapUsed(metrics(g2)));
          heap.put("publisher", heapUsed(metrics(publisherHealth)));
          heap.put("sandbox", heapUsed(metrics(sandboxHealth)));
          heap.forEach((role, bytes) -> figures.add(role + " heap used " + (bytes >> 20) + " MiB"));

          // A broker restart: posts go on being answered with a node down and after it is back.
          cluster.kill(2);
          phase("node 2 killed");
          HttpResponse<byte[]> duringOutage = post(g2, "K-during-outage", BODY);
          assertThat(duringOutage.statusCode()).as(text(duringOutage)).isEqualTo(201);
          phase("a new key answered 201 with node 2 down");
          cluster.restart(2);
          cluster.awaitFullyReplicated(Duration.ofSeconds(90));
          phase("node 2 back and fully replicated");
          HttpResponse<byte[]> after = post(g1, "K-after-restart", BODY);
          assertThat(after.statusCode()).as(text(after)).isEqualTo(201);
          HttpResponse<byte[]> replayAfter = post(g2, "K-during-outage", BODY);
          assertThat(replayAfter.headers().firstValue("Idempotent-Replayed")).hasValue("true");
          assertThat(replayAfter.body()).isEqualTo(duringOutage.body());
          phase("after the restart: a new key 201, the outage's key replayed");

          // Ground truth: 3 keys x 3 targets, each published exactly once.
          List<String> posts =
              Files.readAllLines(dir.resolve("sandbox").resolve("sandbox").resolve("posts.jsonl"));
          Set<String> tasks = new HashSet<>();
          for (String line : posts) {
            assertThat(tasks.add(Json.MAPPER.readTree(line).path("taskId").asText()))
                .as("a task posted twice: " + line)
                .isTrue();
          }
          assertThat(posts).hasSize(9);
        }
      }
    } finally {
      System.out.println("RolesIT: " + String.join("; ", figures));
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static URI local(String port) {
    return URI.create("http://127.0.0.1:" + port);
  }

  private static void awaitReady(URI base) {
    await()
        .atMost(START)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> get(base.resolve("/readyz"), false).statusCode() == 200);
  }

  /** A 32-byte server key for the webhook signing secrets, in {@code dir}. */
  private static Path signingKey(Path dir) throws java.io.IOException {
    Path key = dir.resolve("webhook-signing-key");
    if (!java.nio.file.Files.exists(key)) {
      java.nio.file.Files.writeString(key, "roles-it-webhook-signing-key-0123456789abcdef");
    }
    return key;
  }

  private static HttpResponse<byte[]> post(URI base, String key, String body) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(base.resolve("/v1/posts"))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + API_KEY)
            .header("Idempotency-Key", key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpResponse<byte[]> get(URI uri, boolean authorized) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (authorized) {
      b.header("Authorization", "Bearer " + API_KEY);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String metrics(URI base) throws Exception {
    return text(get(base.resolve("/metrics"), false));
  }

  private static String text(HttpResponse<byte[]> r) {
    return r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
  }

  /** The sum of {@code jvm_memory_used_bytes{area="heap"}} in a scrape. */
  static long heapUsed(String scrape) {
    Matcher m =
        Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"[^}]*} (\\S+)$").matcher(scrape);
    double sum = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
    }
    return (long) sum;
  }

  private void phase(String what) {
    String line = String.format("%.1f s: %s", (System.nanoTime() - started) / 1e9, what);
    figures.add(line);
    System.out.println("RolesIT " + line);
  }
}

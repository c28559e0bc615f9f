package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.cli.Services;
import dev.letmepost.command.Hashing;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A webhook bridge in front of the gateway (docs/webhooks.md#bridges): an upstream service delivers
 * one event five times (three at once, then two more), the bridge turns each delivery into {@code
 * POST /v1/posts} with an {@code Idempotency-Key} derived from the upstream delivery id and a body
 * derived from the event alone; the sandbox's ground truth holds one post per target.
 */
class WebhookBridgeIT {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The bridge: what docs/webhooks.md tells a bridge to do, in a few lines. */
  record Bridge(URI gateway, String apiKey, String source) {
    /** The key: same upstream delivery, same key; printable ASCII, 70 characters. */
    String idempotencyKey(String deliveryId) {
      return "bridge-"
          + source
          + "-"
          + Hashing.sha256Hex(deliveryId.getBytes(StandardCharsets.UTF_8));
    }

    /** The body: a pure function of the upstream event, so every redelivery sends equal bytes. */
    static String body(String releaseTag) {
      return "{\"targets\":[{\"accountId\":\"acc_demo_twitter\"},{\"accountId\":\"acc_demo_linkedin\"},"
          + "{\"accountId\":\"acc_demo_bluesky\"}],\"text\":\"released "
          + releaseTag
          + "\"}";
    }

    HttpResponse<String> deliver(String deliveryId, String releaseTag) throws Exception {
      return HTTP.send(
          HttpRequest.newBuilder(gateway.resolve("/v1/posts"))
              .header("Authorization", "Bearer " + apiKey)
              .header("Idempotency-Key", idempotencyKey(deliveryId))
              .header("Content-Type", "application/json")
              .timeout(Duration.ofSeconds(60))
              .POST(HttpRequest.BodyPublishers.ofString(body(releaseTag)))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void oneUpstreamEventDeliveredFiveTimesPublishesOncePerTarget(@TempDir Path data)
      throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 3);
    LedgerConfig ledger = LedgerConfig.defaults(topics).with(c -> c.partitions = 3);
    GatewayService gateway =
        GatewayService.bind(
            new GatewayService.Options("127.0.0.1", 0, null, GatewayConfig.defaults()));
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try (Services services =
        Services.start(
            Services.Options.allInOne(
                TestBroker.bootstrapServers(), data, true, ledger, gateway.streamsOverrides()))) {
      String apiKey = ApiKeys.generate(new SecureRandom());
      ApiKeyWriter.write(
          services.client(),
          topics,
          ApiKeys.hash(apiKey),
          ApiKeyRecord.active(Services.DEMO_PRINCIPAL, Instant.now()));
      gateway.attach(services.client(), topics, ledger, services.ledger());
      URI base = URI.create("http://127.0.0.1:" + gateway.port());
      assertThat(services.awaitRunning(Duration.ofSeconds(90))).as("ledger RUNNING").isTrue();
      Awaitility.await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  HTTP.send(
                              HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                              HttpResponse.BodyHandlers.discarding())
                          .statusCode()
                      == 200);

      Bridge bridge = new Bridge(base, apiKey, "github");
      String deliveryId = "72d3162e-cc78-11e3-81ab-4c9367dc0958"; // the upstream's delivery id
      List<HttpResponse<String>> answers = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      List<Future<HttpResponse<String>>> concurrent = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        concurrent.add(
            pool.submit(
                () -> {
                  go.await();
                  return bridge.deliver(deliveryId, "v1.2.0");
                }));
      }
      go.countDown();
      for (Future<HttpResponse<String>> f : concurrent) {
        answers.add(f.get(90, TimeUnit.SECONDS));
      }
      answers.add(bridge.deliver(deliveryId, "v1.2.0"));
      answers.add(bridge.deliver(deliveryId, "v1.2.0"));

      assertThat(answers)
          .extracting(HttpResponse::statusCode)
          .as(answers.stream().map(HttpResponse::body).toList().toString())
          .containsOnly(201);
      assertThat(answers)
          .extracting(r -> r.headers().firstValue("Lmp-Batch-Id").orElse(null))
          .doesNotContainNull()
          .containsOnly(answers.get(0).headers().firstValue("Lmp-Batch-Id").orElseThrow());
      assertThat(answers).extracting(HttpResponse::body).containsOnly(answers.get(0).body());
      assertThat(answers)
          .filteredOn(r -> r.headers().firstValue("Idempotent-Replayed").orElse("").equals("false"))
          .as("one first answer, four replays")
          .hasSize(1);

      List<SandboxPlatform.AcceptedPost> posts = SandboxPlatform.readPosts(data.resolve("sandbox"));
      assertThat(posts)
          .extracting(SandboxPlatform.AcceptedPost::accountId)
          .containsExactlyInAnyOrder("acc_demo_twitter", "acc_demo_linkedin", "acc_demo_bluesky");
      assertThat(posts).allSatisfy(p -> assertThat(p.text()).isEqualTo("released v1.2.0"));
    } finally {
      pool.shutdownNow();
      gateway.close();
    }
  }
}

package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.cli.Services;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The README's seed flow for the Docker tier ({@link ContainersIT}, {@link ContainerClusterIT}): an
 * {@code lmp gateway --demo} child JVM against a cluster, the sandbox platform and a publisher of
 * every platform in this JVM, and the documentation page's curl (first answer, replay, conflict)
 * over HTTP. {@link RolesIT} runs the same flow with every role as its own process, without Docker.
 */
final class SeedFlow implements AutoCloseable {
  static final String API_KEY = "lmp_live_myFixedDemoKey0000000000000";
  static final String BODY =
      """
      {"targets":[{"accountId":"acc_demo_twitter"},{"accountId":"acc_demo_linkedin"},\
      {"accountId":"acc_demo_bluesky"}],"text":"shipped"}""";
  private static final Duration START = Duration.ofMinutes(2);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final ChildLmp gateway;
  private final Services.SandboxPublishing publishing;
  final URI base;

  private SeedFlow(ChildLmp gateway, Services.SandboxPublishing publishing, URI base) {
    this.gateway = gateway;
    this.publishing = publishing;
    this.base = base;
  }

  /** Starts the gateway (it creates the topics) and then the sandbox and the publishers. */
  static SeedFlow start(String bootstrap, String prefix, int replication, Path dir)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "gateway",
                "--demo",
                "--bootstrap-servers",
                bootstrap,
                "--topic-prefix",
                prefix,
                "--partitions",
                "3",
                "--replication-factor",
                Integer.toString(replication),
                "--http-port",
                "0",
                "--data-dir",
                dir.resolve("gateway").toString()));
    ChildLmp gateway = ChildLmp.command("HTTP API on", args, Map.of("LMP_DEMO_API_KEY", API_KEY));
    try {
      URI base = URI.create("http://127.0.0.1:" + gateway.httpPort(START));
      await()
          .atMost(START)
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> get(base.resolve("/readyz")).statusCode() == 200);
      Services.SandboxPublishing publishing =
          Services.startSandboxPublishing(
              ClientSettings.of(bootstrap),
              new Topics(prefix),
              dir.resolve("sandbox"),
              0,
              Faults.NONE,
              "seed-" + prefix);
      return new SeedFlow(gateway, publishing, base);
    } catch (Exception | Error e) {
      gateway.close();
      throw e;
    }
  }

  /** POST /v1/posts with the demo key; {@code key} as Idempotency-Key. */
  HttpResponse<byte[]> post(String key, String body) throws Exception {
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

  /** The seed flow: 201 published, the same bytes replayed, 422 for another body. */
  void assertSeedFlow(String key) throws Exception {
    HttpResponse<byte[]> first = post(key, BODY);
    assertThat(first.statusCode()).as(text(first)).isEqualTo(201);
    assertThat(first.headers().firstValue("Idempotent-Replayed")).hasValue("false");
    assertThat(text(first)).contains("\"status\":\"published\"");
    HttpResponse<byte[]> replay = post(key, BODY);
    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(replay.body()).isEqualTo(first.body());
    HttpResponse<byte[]> conflict = post(key, BODY.replace("shipped", "changed"));
    assertThat(conflict.statusCode()).isEqualTo(422);
    assertThat(text(conflict)).contains("idempotency_conflict");
  }

  static HttpResponse<byte[]> get(URI uri) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  static String text(HttpResponse<byte[]> r) {
    return r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws Exception {
    try {
      publishing.close();
    } finally {
      gateway.close();
    }
  }
}

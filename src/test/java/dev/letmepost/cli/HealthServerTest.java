package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HealthServer} over real HTTP: the three routes, readiness changes, errors. */
class HealthServerTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private HealthServer health;

  @BeforeEach
  void start() {
    health = HealthServer.start("publisher", "127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    health.close();
  }

  @Test
  void healthzAnswers200WhileTheRoleIsStillStarting() throws Exception {
    HttpResponse<String> r = get("/healthz");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"status\":\"ok\"}");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
  }

  @Test
  void readyzIs503NamingTheRoleUntilItsReadinessSaysReady() throws Exception {
    HttpResponse<String> starting = get("/readyz");
    assertThat(starting.statusCode()).isEqualTo(503);
    assertThat(starting.body())
        .isEqualTo("{\"status\":\"not_ready\",\"reason\":\"publisher is starting\"}");

    AtomicReference<Optional<String>> state =
        new AtomicReference<>(Optional.of("the ledger instance is \"REBALANCING\", not RUNNING"));
    health.readiness(state::get);
    HttpResponse<String> rebalancing = get("/readyz");
    assertThat(rebalancing.statusCode()).isEqualTo(503);
    assertThat(rebalancing.body())
        .isEqualTo(
            "{\"status\":\"not_ready\",\"reason\":\"the ledger instance is \\\"REBALANCING\\\","
                + " not RUNNING\"}");

    state.set(Optional.empty());
    HttpResponse<String> ready = get("/readyz");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("{\"status\":\"ready\"}");
  }

  @Test
  void aReadinessCheckThatThrowsReadsAsNotReadyNamingTheError() throws Exception {
    health.readiness(
        () -> {
          throw new IllegalStateException("admin client closed");
        });

    HttpResponse<String> r = get("/readyz");

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("the readiness check failed").contains("admin client closed");
    // the server goes on answering
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void metricsArePrometheusTextWithTheJvmMetersAndTheRoleTag() throws Exception {
    HttpResponse<String> r = get("/metrics");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue(HealthServer.METRICS_CONTENT_TYPE);
    assertThat(r.body())
        .contains("# TYPE jvm_memory_used_bytes gauge")
        .contains("role=\"publisher\"")
        .contains("process_uptime_seconds");
  }

  @Test
  void anUnknownRouteIs404AndAnotherMethodIs405BothAsJsonErrors() throws Exception {
    HttpResponse<String> missing = get("/v1/posts");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"route_not_found\",\"message\":\"no route for GET /v1/posts on"
                + " the publisher role\"}}");

    HttpResponse<String> post =
        client.send(
            HttpRequest.newBuilder(uri("/readyz"))
                .POST(HttpRequest.BodyPublishers.ofString("x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.body()).contains("method_not_allowed").contains("got POST");
  }

  @Test
  void aPortInUseIsRefusedNamingTheAddress() {
    assertThatThrownBy(() -> HealthServer.start("sandbox", "127.0.0.1", health.port()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot listen on 127.0.0.1:" + health.port())
        .hasMessageContaining("/healthz");
  }

  @Test
  void aPortOutOfRangeIsRefusedNamingTheOption() {
    assertThatThrownBy(() -> HealthServer.start("ledger", "127.0.0.1", 70_000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--health-port must be 0-65535, got 70000");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + health.port() + path);
  }
}

package dev.letmepost.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health and metrics endpoint of a role that has no HTTP API of its own ({@code lmp ledger},
 * {@code lmp publisher}, {@code lmp sandbox}): {@code GET /healthz} ({@code 200} while the process
 * runs), {@code GET /readyz} ({@code 200} when the role says it is ready, else {@code 503} with the
 * reason) and {@code GET /metrics} (Prometheus text of {@link #registry()}, which also holds the
 * JVM's metrics). The gateway serves the same three routes on its API port.
 */
final class HealthServer implements AutoCloseable {
  /*
   * The JDK's own HTTP server: three fixed routes need no framework, and this keeps the roles
   * that do not serve the API free of Jetty's start-up. One thread answers: a scrape or a probe
   * is small, and nothing here blocks on Kafka except what a role's readiness check or a
   * registry's gauges do (each bounded by its own timeout).
   */

  private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);

  /** What Prometheus expects as the type of its text exposition format. */
  static final String METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;
  private final PrometheusMeterRegistry registry;
  private final String role;
  private volatile Supplier<Optional<String>> notReady;

  private HealthServer(
      HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry, String role) {
    this.server = server;
    this.executor = executor;
    this.registry = registry;
    this.role = role;
    this.notReady = () -> Optional.of(role + " is starting");
  }

  /**
   * Binds {@code host:port} ({@code port} 0 picks a free one) for the role named {@code role}; it
   * reads as not ready ("{@code <role> is starting}") until {@link #readiness} is set.
   *
   * @throws IllegalArgumentException naming the address when it cannot be bound
   */
  static HealthServer start(String role, String host, int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("--health-port must be 0-65535, got " + port);
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("role", role);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } catch (IOException e) {
      registry.close();
      throw new IllegalArgumentException(
          "cannot listen on " + host + ":" + port + " for /healthz, /readyz and /metrics: " + e, e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "lmp-health-" + role);
              t.setDaemon(true);
              return t;
            });
    HealthServer health = new HealthServer(server, executor, registry, role);
    server.setExecutor(executor);
    server.createContext("/", health::handle);
    server.start();
    LOG.info(
        "{}: /healthz, /readyz and /metrics on http://{}:{}",
        role,
        host,
        server.getAddress().getPort());
    return health;
  }

  /**
   * The role's readiness: empty when ready, else the reason it is not (the body of the {@code
   * 503}).
   */
  void readiness(Supplier<Optional<String>> notReady) {
    this.notReady = notReady;
  }

  /** The registry {@code /metrics} shows; a role adds its own meters here. */
  PrometheusMeterRegistry registry() {
    return registry;
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (!exchange.getRequestMethod().equals("GET")) {
        send(
            exchange,
            405,
            "application/json",
            error("method_not_allowed", "only GET is served here, got " + method(exchange)));
        return;
      }
      switch (path) {
        case "/healthz" -> send(exchange, 200, "application/json", "{\"status\":\"ok\"}");
        case "/readyz" -> {
          Optional<String> reason = reason();
          if (reason.isEmpty()) {
            send(exchange, 200, "application/json", "{\"status\":\"ready\"}");
          } else {
            send(
                exchange,
                503,
                "application/json",
                "{\"status\":\"not_ready\",\"reason\":" + quote(reason.get()) + "}");
          }
        }
        case "/metrics" -> send(exchange, 200, METRICS_CONTENT_TYPE, registry.scrape());
        default ->
            send(
                exchange,
                404,
                "application/json",
                error("route_not_found", "no route for GET " + path + " on the " + role + " role"));
      }
    } catch (RuntimeException e) {
      LOG.warn("{}: {} failed: {}", role, exchange.getRequestURI(), e.toString());
    }
  }

  /** The readiness check's answer; a check that throws reads as not ready, naming the error. */
  private Optional<String> reason() {
    try {
      return notReady.get();
    } catch (RuntimeException e) {
      return Optional.of("the readiness check failed: " + e);
    }
  }

  private static String method(HttpExchange exchange) {
    String m = exchange.getRequestMethod();
    return m.length() > 16 ? m.substring(0, 16) + "…" : m;
  }

  private static void send(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String error(String code, String message) {
    return "{\"error\":{\"code\":\"" + code + "\",\"message\":" + quote(message) + "}}";
  }

  /** A JSON string literal. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    registry.close();
  }
}

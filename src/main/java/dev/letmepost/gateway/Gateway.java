package dev.letmepost.gateway;

import dev.letmepost.command.Hashing;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.webhook.WebhookStore;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP gateway: {@code POST /v1/posts} turned into a post command and answered with the
 * ledger's recorded bytes, its dry run {@code POST /v1/posts/validate} answered from the ledger's
 * accounts here, the reads ({@code /v1/batches}, {@code /v1/requests}, {@code
 * /v1/idempotency-keys}) served from the ledger's stores, and health, readiness and metrics.
 *
 * <p>The HTTP server starts before its backend exists ({@link #attach}): until then every API route
 * answers 503 and {@code /readyz} says not ready, so the port can be bound (and advertised as the
 * ledger's {@code application.server}) before the ledger starts.
 */
public final class Gateway implements AutoCloseable {
  /*
   * The wiring: the routes are PostRoute (the post, its coalesced flights and the FastPath),
   * ValidateRoute (the post's dry run), ActionRoutes (the batch actions), WebhookRoutes (the
   * webhook endpoints) and ReadRoutes (the reads, with PeerReads forwarding to the instance that
   * hosts the data). Every route that writes, and the dry run, takes its request through the
   * WritePipeline (one order of checks; a command submitted and awaited in Waiters); Access holds
   * the backend and authenticates; Responses writes the answers. Writes are stateless: any
   * instance produces the command and waits on its own results consumer. Reads go to the instance
   * that hosts the data; the dry run reads the global accounts store, which every instance holds.
   */
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  /** What the gateway talks to once attached. */
  public record Backend(
      ApiKeyRegistry keys, BooleanSupplier keysReady, LedgerClient client, LedgerView ledger) {
    public Backend {
      Objects.requireNonNull(keys, "keys");
      Objects.requireNonNull(keysReady, "keysReady");
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(ledger, "ledger");
    }
  }

  private record NotReady(String status, String reason) {}

  /** The OpenAPI document of this API, served as kept in the repository (src/main/resources). */
  private static final byte[] OPENAPI = resource("/openapi.json");

  /** The published idempotency policy (draft-ietf-httpapi-idempotency-key-header). */
  private static final byte[] IDEMPOTENCY_POLICY = resource("/idempotency-policy.json");

  /** The listen backlog of the HTTP connector: pending new connections the kernel keeps. */
  static final int ACCEPT_QUEUE = 1024;

  /**
   * Whether {@code e} is Kafka Streams refusing a query because the ledger on this instance is not
   * running (shutting down, or failed): the request may succeed on another instance or later, so it
   * is a {@code 503}, not a {@code 500}. (KafkaStreams throws a bare IllegalStateException then.)
   */
  static boolean ledgerNotRunning(IllegalStateException e) {
    return e.getMessage() != null && e.getMessage().startsWith("KafkaStreams is not running");
  }

  private static void failed(Context ctx, Exception e) {
    LOG.error("{} {} failed: {}", ctx.method(), ctx.path(), e.toString(), e);
    Responses.error(ctx, 500, "internal_error", "the gateway failed: " + e.getClass());
  }

  /** What a connection's idle timeout adds to the longest wait of a request. */
  static final Duration IDLE_MARGIN = Duration.ofSeconds(30);

  /** The HTTP server's threads at most. */
  static final int HTTP_THREADS = 250;

  private final GatewayMetrics metrics;
  private final Waiters waiters;
  private final Access access = new Access();
  private final List<Supplier<Optional<String>>> readers = new CopyOnWriteArrayList<>();
  private final WebhookRoutes webhooks;
  private final Javalin app;
  private final Duration idleTimeout;
  private volatile String host;
  private volatile int port;

  public Gateway(GatewayConfig config, Clock clock, GatewayMetrics metrics) {
    Objects.requireNonNull(config, "config");
    this.idleTimeout = idleTimeout(config);
    Objects.requireNonNull(clock, "clock");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    RecentRequests recent = RecentRequests.withDefaults(clock);
    // Javalin's default pool (8-250 threads), created here so that a waiting request is resumed
    // on it (Waiters): a wait holds none of its threads.
    QueuedThreadPool threads = new QueuedThreadPool(HTTP_THREADS, 8);
    threads.setName("gateway-http");
    this.waiters = new Waiters(config, metrics, threads);
    WritePipeline writes = new WritePipeline(config, access, recent, waiters);
    PostRoute post = new PostRoute(metrics, writes, new FastPath(config, clock), recent);
    ValidateRoute validate = new ValidateRoute(clock, access, writes);
    ReadRoutes reads = new ReadRoutes(clock, access, recent, new PeerReads(config, metrics));
    ActionRoutes actions = new ActionRoutes(writes);
    this.webhooks = new WebhookRoutes(access, writes);
    this.app =
        Javalin.create(
            cfg -> {
              cfg.jetty.threadPool = threads;
              // A waiting request ends by its answer or the answer timeout (Waiters); this is the
              // backstop should neither come, so that no request is parked for ever.
              cfg.http.asyncTimeout = config.answerTimeout().plusSeconds(30).toMillis();
              cfg.startup.showJavalinBanner = false;
              cfg.startup.showOldJavalinVersionWarning = false;
              // The body limit is checked by the POST handler, which answers with our JSON.
              cfg.http.maxRequestSize = Math.max(config.maxBodyBytes() + 1L, 1024 * 1024);
              cfg.requestLogger.http(this::record);
              // Errors Jetty answers itself (431, 414, 400 before any route) are JSON too.
              cfg.jetty.modifyHttpConfiguration(
                  h -> h.setRequestHeaderSize(JsonErrors.REQUEST_HEADER_BYTES));
              cfg.jetty.modifyServer(s -> s.setErrorHandler(new JsonErrors.ServerHandler()));
              cfg.jetty.addConnector(this::connector);
              cfg.jetty.modifyServletContextHandler(
                  h -> h.setErrorHandler(new JsonErrors.ContextHandler()));
              cfg.routes.get("/healthz", ctx -> Responses.json(ctx, 200, "{\"status\":\"ok\"}"));
              cfg.routes.get("/readyz", this::ready);
              cfg.routes.get(
                  "/metrics",
                  ctx ->
                      ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                          .result(metrics.scrape()));
              cfg.routes.get(
                  "/openapi.json", ctx -> ctx.contentType(ApiHeaders.JSON).result(OPENAPI));
              cfg.routes.get(
                  Responses.POLICY_PATH,
                  ctx -> ctx.contentType(ApiHeaders.JSON).result(IDEMPOTENCY_POLICY));
              cfg.routes.post("/v1/posts", post::handle);
              cfg.routes.post("/v1/posts/validate", validate::handle);
              cfg.routes.get("/v1/batches/{id}", reads::getBatch);
              cfg.routes.delete("/v1/batches/{id}", actions::cancel);
              cfg.routes.patch("/v1/batches/{id}", actions::reschedule);
              cfg.routes.post("/v1/batches/{id}/retry", actions::retry);
              cfg.routes.get("/v1/requests/{id}", reads::getRequest);
              cfg.routes.get("/v1/idempotency-keys/{key}", reads::getKey);
              webhooks.register(cfg.routes);
              cfg.routes.exception(
                  InvalidStateStoreException.class,
                  (e, ctx) ->
                      Responses.unavailable(
                          ctx, "the ledger's stores are not queryable right now"));
              cfg.routes.exception(
                  IllegalStateException.class,
                  (e, ctx) -> {
                    if (ledgerNotRunning(e)) {
                      LOG.warn("{} {}: {}", ctx.method(), ctx.path(), e.getMessage());
                      Responses.unavailable(
                          ctx,
                          "the ledger on this instance is not running; retry: " + e.getMessage());
                    } else {
                      failed(ctx, e);
                    }
                  });
              cfg.routes.exception(Exception.class, (e, ctx) -> failed(ctx, e));
              cfg.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) -> {
                    if (e.getStatus() == 404) {
                      Responses.error(
                          ctx,
                          404,
                          "route_not_found",
                          "no route for " + ctx.method().name() + " " + ctx.path());
                    } else {
                      Responses.error(
                          ctx, e.getStatus(), JsonErrors.code(e.getStatus()), e.getMessage());
                    }
                  });
            });
  }

  /** Binds the HTTP server; {@code port} 0 picks a free one (see {@link #port()}). */
  public Gateway start(String host, int port) {
    this.host = host;
    this.port = port;
    app.start();
    return this;
  }

  /**
   * The one HTTP connector, on the address {@link #start} was given: its idle timeout outlives the
   * longest wait of a request ({@link #idleTimeout}) and its accept queue takes a burst of {@link
   * #ACCEPT_QUEUE} new connections (at the JDK's default of 50, a flood of new connections from one
   * client overflowed it and connections were reset).
   */
  private Connector connector(org.eclipse.jetty.server.Server server, HttpConfiguration http) {
    ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
    c.setHost(host);
    c.setPort(port);
    c.setIdleTimeout(idleTimeout.toMillis());
    c.setAcceptQueueSize(ACCEPT_QUEUE);
    return c;
  }

  /**
   * How long a connection may stay silent: longer than the longest wait of a request (the answer
   * timeout, or the forward timeout of a read), so that Jetty never closes the connection of a
   * request still waiting for its answer (it did at its 30 s default, which equals the default
   * answer timeout: the client saw a reset instead of its {@code 202}).
   */
  static Duration idleTimeout(GatewayConfig config) {
    Duration longest =
        config.answerTimeout().compareTo(config.forwardTimeout()) >= 0
            ? config.answerTimeout()
            : config.forwardTimeout();
    return longest.plus(IDLE_MARGIN);
  }

  public int port() {
    return app.port();
  }

  /** The listen backlog of the HTTP connector. */
  int acceptQueueSize() {
    return ((ServerConnector) app.jettyServer().server().getConnectors()[0]).getAcceptQueueSize();
  }

  /** The idle timeout of the HTTP connectors, the shortest if they differ (ms). */
  long connectorIdleTimeoutMillis() {
    long shortest = Long.MAX_VALUE;
    for (Connector c : app.jettyServer().server().getConnectors()) {
      shortest = Math.min(shortest, c.getIdleTimeout());
    }
    return shortest;
  }

  /** Connects the gateway to its keys and ledger; the API routes answer from now on. */
  public void attach(Backend b) {
    access.attach(b);
  }

  /** Serves the webhook endpoint routes from {@code store} (503 until then). */
  public void attachWebhooks(WebhookStore store) {
    webhooks.attach(store);
    watch(store::readerProblem);
  }

  /**
   * Adds a background reader of this process to {@code /readyz}: while {@code problem} says why it
   * is not reading (down, restarting), the gateway is not ready and the body names it.
   */
  public void watch(Supplier<Optional<String>> problem) {
    readers.add(Objects.requireNonNull(problem, "problem"));
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** Requests waiting for the ledger's answer on this instance. */
  int waiting() {
    return waiters.waiting();
  }

  /** Requests of {@code principal} waiting for the ledger's answer on this instance. */
  int waiting(String principal) {
    return waiters.waiting(principal);
  }

  @Override
  public void close() {
    app.stop();
  }

  // ---- health ----

  private void ready(Context ctx) {
    Backend b = access.get();
    String reason =
        b == null
            ? "the gateway is starting"
            : !b.ledger().running()
                ? "the ledger is not RUNNING"
                : !b.keysReady().getAsBoolean() ? "the API keys are still loading" : readersDown();
    if (reason == null) {
      Responses.json(ctx, 200, "{\"status\":\"ready\"}");
    } else {
      ctx.status(503)
          .contentType(ApiHeaders.JSON)
          .result(Json.write(new NotReady("not_ready", reason)));
    }
  }

  /** What the watched readers report, joined; null when every one reads. */
  private String readersDown() {
    List<String> problems = new ArrayList<>();
    for (Supplier<Optional<String>> r : readers) {
      try {
        r.get().ifPresent(problems::add);
      } catch (RuntimeException e) {
        problems.add("a reader's health check failed: " + e);
      }
    }
    return problems.isEmpty() ? null : String.join("; ", problems);
  }

  private static byte[] resource(String name) {
    try (java.io.InputStream in = Gateway.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read resource " + name, e);
    }
  }

  /** The fingerprint of a {@code POST /v1/posts} under {@code key}, as the ledger derives it. */
  static String fingerprint(String principal, String key) {
    return Hashing.fingerprint(principal, LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, key);
  }

  private void record(Context ctx, Float millis) {
    String route;
    try {
      route = ctx.endpoint().path;
    } catch (RuntimeException e) {
      route = "unmatched";
    }
    metrics.request(
        ctx.method().name(),
        route,
        ctx.statusCode(),
        Duration.ofNanos((long) (millis * 1_000_000)));
  }
}

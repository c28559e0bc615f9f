package dev.letmepost.gateway;

import dev.letmepost.command.Hashing;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.ErrorBody;
import dev.letmepost.http.PendingRequest;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.ledger.BatchView;
import dev.letmepost.ledger.RequestView;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP gateway: {@code POST /v1/posts} turned into a post command and answered with the
 * ledger's recorded bytes, the reads ({@code /v1/batches}, {@code /v1/requests}, {@code
 * /v1/idempotency-keys}) served from the ledger's stores, and health, readiness and metrics.
 *
 * <p>The HTTP server starts before its backend exists ({@link #attach}): until then every API route
 * answers 503 and {@code /readyz} says not ready, so the port can be bound (and advertised as the
 * ledger's {@code application.server}) before the ledger starts.
 */
public final class Gateway implements AutoCloseable {
  /*
   * Writes are stateless: any instance produces the command and waits on its own results
   * consumer. Reads go to the instance that hosts the data: a fingerprint's owner is known from
   * the ledger's metadata (idempotency keys, the replay fast path); batch and request ids are not
   * keys of the fingerprint-partitioned ledger task, so those reads ask the local stores first and
   * then every other instance (scatter-gather; a few instances, one small index look-up each).
   * A forwarded read carries Lmp-Forwarded and is answered locally only, so it never loops.
   *
   * Identical concurrent retries on one instance (same principal, key and body hash) are
   * coalesced: one command goes to Kafka, the others share its answer as replays. The ledger
   * bounds the waiters of a running batch (409 idempotency_in_progress); coalescing keeps a
   * retry storm on one instance from reaching that bound.
   */
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private static final String JSON = ApiHeaders.JSON;
  private static final List<String> FORWARDED_RESPONSE_HEADERS =
      List.of(
          ApiHeaders.CONTENT_TYPE,
          ApiHeaders.REPLAYED,
          ApiHeaders.IDEMPOTENCY_KEY,
          ApiHeaders.KEY_EXPIRES,
          ApiHeaders.REQUEST_ID,
          ApiHeaders.BATCH_ID,
          ApiHeaders.LOCATION,
          ApiHeaders.RETRY_AFTER);
  private static final byte[] UNAUTHORIZED =
      ErrorBody.of("unauthorized", "a valid API key is required: Authorization: Bearer <api key>");

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

  private record Flight(String requestId, CompletableFuture<LedgerAnswer> answer) {}

  private final GatewayConfig config;
  private final Clock clock;
  private final GatewayMetrics metrics;
  private final AtomicReference<Backend> backend = new AtomicReference<>();
  private final Map<String, Flight> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private final RecentRequests recent;
  private final HttpClient http;
  private final Javalin app;

  public Gateway(GatewayConfig config, Clock clock, GatewayMetrics metrics) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.http = HttpClient.newBuilder().connectTimeout(config.forwardTimeout()).build();
    this.recent =
        new RecentRequests(clock, RecentRequests.DEFAULT_CAPACITY, RecentRequests.DEFAULT_TTL);
    metrics.waiters(waiting::get);
    this.app =
        Javalin.create(
            cfg -> {
              cfg.startup.showJavalinBanner = false;
              cfg.startup.showOldJavalinVersionWarning = false;
              // The body limit is checked by the POST handler, which answers with our JSON.
              cfg.http.maxRequestSize = Math.max(config.maxBodyBytes() + 1L, 1024 * 1024);
              cfg.requestLogger.http(this::record);
              // Errors Jetty answers itself (431, 414, 400 before any route) are JSON too.
              cfg.jetty.modifyHttpConfiguration(
                  h -> h.setRequestHeaderSize(JsonErrors.REQUEST_HEADER_BYTES));
              cfg.jetty.modifyServer(s -> s.setErrorHandler(new JsonErrors.ServerHandler()));
              cfg.jetty.modifyServletContextHandler(
                  h -> h.setErrorHandler(new JsonErrors.ContextHandler()));
              cfg.routes.get("/healthz", ctx -> json(ctx, 200, "{\"status\":\"ok\"}"));
              cfg.routes.get("/readyz", this::ready);
              cfg.routes.get(
                  "/metrics",
                  ctx ->
                      ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                          .result(metrics.scrape()));
              cfg.routes.post("/v1/posts", this::post);
              cfg.routes.get("/v1/batches/{id}", this::getBatch);
              cfg.routes.get("/v1/requests/{id}", this::getRequest);
              cfg.routes.get("/v1/idempotency-keys/{key}", this::getKey);
              cfg.routes.exception(
                  InvalidStateStoreException.class,
                  (e, ctx) -> unavailable(ctx, "the ledger's stores are not queryable right now"));
              cfg.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.error("{} {} failed: {}", ctx.method(), ctx.path(), e.toString(), e);
                    error(ctx, 500, "internal_error", "the gateway failed: " + e.getClass());
                  });
              cfg.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) -> {
                    if (e.getStatus() == 404) {
                      error(
                          ctx,
                          404,
                          "route_not_found",
                          "no route for " + ctx.method().name() + " " + ctx.path());
                    } else {
                      error(ctx, e.getStatus(), JsonErrors.code(e.getStatus()), e.getMessage());
                    }
                  });
            });
  }

  /** Binds the HTTP server; {@code port} 0 picks a free one (see {@link #port()}). */
  public Gateway start(String host, int port) {
    app.start(host, port);
    return this;
  }

  public int port() {
    return app.port();
  }

  /** Connects the gateway to its keys and ledger; the API routes answer from now on. */
  public void attach(Backend b) {
    if (!backend.compareAndSet(null, Objects.requireNonNull(b, "backend"))) {
      throw new IllegalStateException("the gateway is already attached");
    }
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    app.stop();
  }

  // ---- health ----

  private void ready(Context ctx) {
    Backend b = backend.get();
    String reason =
        b == null
            ? "the gateway is starting"
            : !b.ledger().running()
                ? "the ledger is not RUNNING"
                : !b.keysReady().getAsBoolean() ? "the API keys are still loading" : null;
    if (reason == null) {
      json(ctx, 200, "{\"status\":\"ready\"}");
    } else {
      ctx.status(503).contentType(JSON).result(Json.write(new NotReady("not_ready", reason)));
    }
  }

  // ---- POST /v1/posts ----

  private void post(Context ctx) throws IOException, InterruptedException {
    long started = System.nanoTime();
    Backend b = backend(ctx);
    if (b == null) {
      return;
    }
    String principal = authenticate(ctx, b);
    if (principal == null) {
      return;
    }
    List<String> keys = Collections.list(ctx.req().getHeaders(ApiHeaders.IDEMPOTENCY_KEY));
    String key = null;
    if (keys.size() > 1) {
      error(
          ctx,
          400,
          "invalid_idempotency_key",
          "Idempotency-Key must be sent once, got " + keys.size() + " values");
      return;
    } else if (keys.size() == 1) {
      key = keys.get(0);
      Optional<String> problem = IdempotencyKeys.problem(key);
      if (problem.isPresent()) {
        error(ctx, 400, "invalid_idempotency_key", problem.get());
        return;
      }
    }
    List<String> contentTypes = Collections.list(ctx.req().getHeaders(ApiHeaders.CONTENT_TYPE));
    if (contentTypes.size() > 1) {
      error(
          ctx,
          415,
          "unsupported_media_type",
          "Content-Type must be sent once, got "
              + contentTypes.size()
              + " values: "
              + Limits.echo(String.join(", ", contentTypes)));
      return;
    }
    String contentType = contentTypes.isEmpty() ? null : contentTypes.get(0);
    if (!isJson(contentType)) {
      error(
          ctx,
          415,
          "unsupported_media_type",
          "Content-Type must be application/json, got "
              + (contentType == null ? "none" : "'" + Limits.echo(contentType) + "'"));
      return;
    }
    byte[] body = readBody(ctx);
    if (body == null) {
      error(
          ctx,
          413,
          "body_too_large",
          "the request body is larger than the limit of " + config.maxBodyBytes() + " bytes");
      return;
    }
    String bodyHash = Hashing.sha256Hex(body);
    String requestId = "req_" + UUID.randomUUID();
    String fingerprint = key == null ? null : fingerprint(principal, key);

    if (fingerprint != null) {
      Optional<LedgerAnswer> stored = fastPath(b, fingerprint, bodyHash, requestId, key);
      if (stored.isPresent()) {
        recent.answered(principal, stored.get());
        metrics.postAnswered(stored.get(), "store", elapsed(started));
        answer(ctx, stored.get(), key);
        return;
      }
    }

    Flight flight;
    boolean leader;
    if (fingerprint == null) {
      flight = new Flight(requestId, submit(b, requestId, principal, null, body));
      leader = true;
    } else {
      String flightKey = fingerprint + "|" + bodyHash;
      Flight mine = new Flight(requestId, new CompletableFuture<>());
      Flight existing = inFlight.putIfAbsent(flightKey, mine);
      leader = existing == null;
      flight = leader ? mine : existing;
      if (leader) {
        submit(b, requestId, principal, key, body)
            .whenComplete(
                (a, e) -> {
                  inFlight.remove(flightKey, mine);
                  if (e != null) {
                    mine.answer().completeExceptionally(e);
                  } else {
                    mine.answer().complete(a);
                  }
                });
      }
    }
    waiting.incrementAndGet();
    try {
      LedgerAnswer a =
          flight.answer().get(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
      if (!leader) {
        a = a.forFollower();
      }
      metrics.postAnswered(a, "kafka", elapsed(started));
      answer(ctx, a, key);
    } catch (TimeoutException e) {
      pending(ctx, flight.requestId(), principal, key);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TimeoutException) {
        pending(ctx, flight.requestId(), principal, key);
      } else {
        produceFailed(ctx, flight.requestId(), body.length, e.getCause());
      }
    } catch (CancellationException e) {
      error(ctx, 503, "ledger_unavailable", "the gateway is shutting down");
    } finally {
      waiting.decrementAndGet();
    }
  }

  /** The answer's future; a client that throws fails it (so no flight is left without end). */
  private CompletableFuture<LedgerAnswer> submit(
      Backend b, String requestId, String principal, String key, byte[] body) {
    CompletableFuture<LedgerAnswer> answer;
    try {
      answer = b.client().submit(requestId, principal, key, body);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.orTimeout(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The command could not be produced. Only a transient Kafka error ({@link RetriableException}) is
   * {@code 503} with {@code Retry-After}: a retry can succeed. A record Kafka refuses as too large
   * is {@code 413} and any other error {@code 500}, since retrying the same request would fail the
   * same way.
   */
  private static void produceFailed(Context ctx, String requestId, int bodyBytes, Throwable e) {
    String what = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (e instanceof RetriableException) {
      LOG.warn("post {} could not reach Kafka: {}", requestId, what);
      ctx.header(ApiHeaders.RETRY_AFTER, "1");
      error(ctx, 503, "ledger_unavailable", "the command could not be written to Kafka: " + what);
    } else if (e instanceof RecordTooLargeException) {
      LOG.warn("post {}: Kafka refused the command as too large: {}", requestId, what);
      error(
          ctx,
          413,
          "record_too_large",
          "Kafka refused the command of this "
              + bodyBytes
              + "-byte body as too large: "
              + e.getMessage());
    } else {
      LOG.error("post {}: the command could not be written to Kafka: {}", requestId, what, e);
      error(
          ctx,
          500,
          "internal_error",
          "the command could not be written to Kafka (not retriable): " + what);
    }
  }

  /**
   * The recorded answer, read from this instance's store, for a retry whose batch is answered: the
   * same bytes the ledger would send, without a Kafka round trip. Empty when the record is not
   * here, not answered, has another body, or expires within the margin (the ledger decides then).
   */
  private Optional<LedgerAnswer> fastPath(
      Backend b, String fingerprint, String bodyHash, String requestId, String key) {
    try {
      if (b.ledger().ownerOf(fingerprint).isPresent()) {
        return Optional.empty();
      }
      Instant now = clock.instant();
      return b.ledger()
          .liveRecord(fingerprint, now)
          .filter(BatchView::answered)
          .filter(v -> v.bodySha256().equals(bodyHash))
          .filter(v -> v.createdAt().isBefore(now))
          .filter(v -> v.expiresAt().isAfter(now.plus(config.fastPathMargin())))
          .map(
              v ->
                  new LedgerAnswer(
                      requestId,
                      v.responseStatus(),
                      true,
                      key,
                      v.batchId(),
                      Rfc3339.format(v.expiresAt()),
                      v.response()));
    } catch (InvalidStateStoreException e) {
      return Optional.empty();
    }
  }

  private void answer(Context ctx, LedgerAnswer a, String key) {
    ctx.status(a.status());
    ctx.header(ApiHeaders.REPLAYED, Boolean.toString(a.replayed()));
    if (key != null) {
      ctx.header(ApiHeaders.IDEMPOTENCY_KEY, key);
    }
    if (a.keyExpires() != null) {
      ctx.header(ApiHeaders.KEY_EXPIRES, a.keyExpires());
    }
    ctx.header(ApiHeaders.REQUEST_ID, a.requestId());
    if (a.batchId() != null) {
      ctx.header(ApiHeaders.BATCH_ID, a.batchId());
    }
    ctx.contentType(JSON).result(a.body());
  }

  private void pending(Context ctx, String requestId, String principal, String key) {
    metrics.timedOut();
    recent.pending(requestId, principal, key);
    ctx.header(ApiHeaders.LOCATION, "/v1/requests/" + requestId);
    pendingRead(ctx, requestId, key, null);
  }

  /** {@code 202} with the pending body: the answer to {@code requestId} is not known yet. */
  private static void pendingRead(Context ctx, String requestId, String key, String batchId) {
    ctx.status(202);
    ctx.header(ApiHeaders.RETRY_AFTER, "1");
    ctx.header(ApiHeaders.REQUEST_ID, requestId);
    if (key != null) {
      ctx.header(ApiHeaders.IDEMPOTENCY_KEY, key);
    }
    ctx.contentType(JSON).result(PendingRequest.of(requestId, batchId));
  }

  /** The body, or null when it is over the limit (the rest is not read). */
  private byte[] readBody(Context ctx) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > config.maxBodyBytes()) {
      return null;
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(config.maxBodyBytes() + 1);
      return body.length > config.maxBodyBytes() ? null : body;
    }
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return media.toLowerCase(Locale.ROOT).equals(JSON);
  }

  /** The fingerprint of a {@code POST /v1/posts} under {@code key}, as the ledger derives it. */
  static String fingerprint(String principal, String key) {
    return Hashing.fingerprint(principal, LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, key);
  }

  // ---- reads ----

  private void getKey(Context ctx) throws InterruptedException {
    Backend b = backend(ctx);
    String principal = b == null ? null : authenticate(ctx, b);
    if (principal == null) {
      return;
    }
    String key = ctx.pathParam("key");
    Optional<String> problem = IdempotencyKeys.problem(key);
    if (problem.isPresent()) {
      error(ctx, 400, "invalid_idempotency_key", problem.get());
      return;
    }
    String fingerprint = fingerprint(principal, key);
    Optional<URI> owner = b.ledger().ownerOf(fingerprint);
    if (owner.isPresent() && !forwarded(ctx)) {
      PeerAnswer a = ask(ctx, owner.get());
      if (a.outcome() == Outcome.UNAVAILABLE) {
        unavailable(
            ctx,
            "the instance holding this key ("
                + owner.get()
                + ") is not ready: "
                + a.why()
                + "; retry");
      } else {
        copy(ctx, a.response());
      }
      return;
    }
    Optional<BatchView> live = b.ledger().liveRecord(fingerprint, clock.instant());
    if (live.isEmpty()) {
      error(
          ctx,
          404,
          "idempotency_key_not_found",
          "no replay record for Idempotency-Key '" + key + "' of this API key");
      return;
    }
    ctx.status(200).contentType(JSON).result(Json.write(KeyView.of(key, live.get())));
  }

  private void getBatch(Context ctx) throws InterruptedException {
    Backend b = backend(ctx);
    String principal = b == null ? null : authenticate(ctx, b);
    if (principal == null) {
      return;
    }
    String id = ctx.pathParam("id");
    Optional<BatchView> batch = b.ledger().batch(id).filter(v -> v.principal().equals(principal));
    if (batch.isPresent()) {
      BatchView v = batch.get();
      ctx.status(200);
      ctx.header(ApiHeaders.REQUEST_ID, v.requestId());
      if (v.idempotencyKey() != null) {
        ctx.header(ApiHeaders.IDEMPOTENCY_KEY, v.idempotencyKey());
      }
      ctx.header(ApiHeaders.KEY_EXPIRES, Rfc3339.format(v.expiresAt()));
      ctx.contentType(JSON).result(v.envelope());
      return;
    }
    if (!forwarded(ctx) && scatter(ctx, b, null)) {
      return;
    }
    error(ctx, 404, "batch_not_found", "no batch '" + Limits.echo(id) + "' for this API key");
  }

  /**
   * What became of a request: the ledger's index here, else an answer this instance gave without
   * the ledger (the replay fast path), else the other instances' indexes, else the {@code 202} this
   * instance answered while the ledger has not decided it yet.
   */
  private void getRequest(Context ctx) throws InterruptedException {
    Backend b = backend(ctx);
    String principal = b == null ? null : authenticate(ctx, b);
    if (principal == null) {
      return;
    }
    String id = ctx.pathParam("id");
    Optional<String> problem = requestIdProblem(id);
    if (problem.isPresent()) {
      error(ctx, 400, "invalid_request_id", problem.get());
      return;
    }
    Optional<RequestView> request =
        b.ledger().request(id).filter(v -> v.principal().equals(principal));
    if (request.isPresent()) {
      RequestView r = request.get();
      if (r.pending()) {
        pendingRead(ctx, id, r.idempotencyKey(), r.batchId());
      } else {
        answer(
            ctx,
            new LedgerAnswer(
                id,
                r.status(),
                r.replayed(),
                r.idempotencyKey(),
                r.batchId(),
                r.keyExpires() == null ? null : Rfc3339.format(r.keyExpires()),
                r.body()),
            r.idempotencyKey());
      }
      return;
    }
    Optional<RecentRequests.Entry> mine = recent.get(id, principal);
    if (mine.isPresent() && !mine.get().pending()) {
      answer(ctx, mine.get().answer(), mine.get().idempotencyKey());
      return;
    }
    Runnable fallback =
        mine.<Runnable>map(e -> () -> pendingRead(ctx, id, e.idempotencyKey(), null)).orElse(null);
    if (forwarded(ctx)) {
      if (fallback != null) {
        fallback.run();
        return;
      }
    } else if (scatter(ctx, b, fallback)) {
      return;
    }
    error(ctx, 404, "request_not_found", "no request '" + Limits.echo(id) + "' for this API key");
  }

  /**
   * Why {@code id} cannot be a request id: longer than {@link Limits#MAX_REQUEST_ID_CHARS} or
   * holding a character outside printable ASCII.
   */
  static Optional<String> requestIdProblem(String id) {
    if (id.length() > Limits.MAX_REQUEST_ID_CHARS) {
      return Optional.of(
          "a request id is at most "
              + Limits.MAX_REQUEST_ID_CHARS
              + " characters, got "
              + id.length()
              + ": '"
              + Limits.echo(id)
              + "'");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return Optional.of(
            String.format(
                "a request id is printable ASCII; character %d of '%s' is U+%04X",
                i + 1, Limits.echo(id), (int) c));
      }
    }
    return Optional.empty();
  }

  /**
   * Asks every other instance and answers when one has the data. A pending answer ({@code 202} with
   * {@code Retry-After}) is kept while another instance may have the final one; {@code
   * localPending} (this instance's own {@code 202}) comes before a peer's. Nothing found: false,
   * unless an instance could not be asked (unreachable, or not ready: {@code 503}, or {@code 401}
   * for a caller this instance authenticated), which is {@code 503} with {@code Retry-After}, as
   * the data may be there.
   */
  private boolean scatter(Context ctx, Backend b, Runnable localPending)
      throws InterruptedException {
    HttpResponse<byte[]> pending = null;
    PeerAnswer unavailable = null;
    URI unavailablePeer = null;
    for (URI peer : b.ledger().peers()) {
      PeerAnswer a = ask(ctx, peer);
      switch (a.outcome()) {
        case FOUND -> {
          copy(ctx, a.response());
          return true;
        }
        case PENDING -> pending = pending == null ? a.response() : pending;
        case UNAVAILABLE -> {
          unavailable = a;
          unavailablePeer = peer;
        }
        case NOT_FOUND -> {}
      }
    }
    if (localPending != null) {
      localPending.run();
      return true;
    }
    if (pending != null) {
      copy(ctx, pending);
      return true;
    }
    if (unavailable != null) {
      unavailable(
          ctx,
          "the instance at "
              + unavailablePeer
              + " could not be asked ("
              + unavailable.why()
              + "); it may hold the answer, retry");
      return true;
    }
    return false;
  }

  private enum Outcome {
    FOUND,
    PENDING,
    NOT_FOUND,
    UNAVAILABLE
  }

  /**
   * A peer's answer to a forwarded read.
   *
   * @param response null when UNAVAILABLE
   * @param why what made it UNAVAILABLE
   */
  private record PeerAnswer(Outcome outcome, HttpResponse<byte[]> response, String why) {}

  /**
   * Sends this GET to {@code peer} with the caller's credentials. The caller was authenticated
   * here, so a peer answering {@code 401}/{@code 403} has not loaded the keys yet: like a {@code
   * 503}, another 5xx, or no answer at all, that peer is UNAVAILABLE, never an answer to copy.
   */
  private PeerAnswer ask(Context ctx, URI peer) throws InterruptedException {
    String query = ctx.queryString();
    URI target = peer.resolve(ctx.path() + (query == null ? "" : "?" + query));
    HttpRequest.Builder req = HttpRequest.newBuilder(target).timeout(config.forwardTimeout()).GET();
    String auth = ctx.header(ApiHeaders.AUTHORIZATION);
    if (auth != null) {
      req.header(ApiHeaders.AUTHORIZATION, auth);
    }
    req.header(ApiHeaders.FORWARDED, "1");
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      LOG.warn("forwarding {} to {} failed: {}", ctx.path(), peer, e.toString());
      metrics.forwarded("failed");
      return new PeerAnswer(Outcome.UNAVAILABLE, null, "no answer: " + e);
    }
    int status = resp.statusCode();
    if (status == 404) {
      metrics.forwarded("not_found");
      return new PeerAnswer(Outcome.NOT_FOUND, resp, null);
    }
    if (status == 401 || status == 403 || status >= 500) {
      LOG.warn("forwarding {} to {}: the peer answered {}", ctx.path(), peer, status);
      metrics.forwarded("unavailable");
      return new PeerAnswer(Outcome.UNAVAILABLE, null, "it answered " + status);
    }
    metrics.forwarded("found");
    boolean pending =
        status == 202 && resp.headers().firstValue(ApiHeaders.RETRY_AFTER).isPresent();
    return new PeerAnswer(pending ? Outcome.PENDING : Outcome.FOUND, resp, null);
  }

  /** Copies a peer's answer to the caller. */
  private static void copy(Context ctx, HttpResponse<byte[]> resp) {
    ctx.status(resp.statusCode());
    for (String h : FORWARDED_RESPONSE_HEADERS) {
      resp.headers().firstValue(h).ifPresent(v -> ctx.header(h, v));
    }
    ctx.result(resp.body());
  }

  private static boolean forwarded(Context ctx) {
    return ctx.header(ApiHeaders.FORWARDED) != null;
  }

  // ---- shared ----

  private Backend backend(Context ctx) {
    Backend b = backend.get();
    if (b == null) {
      unavailable(ctx, "the gateway is starting");
    }
    return b;
  }

  /**
   * The principal of the request's bearer key, or null after answering 401: a missing, malformed,
   * unknown or revoked key all get the same answer. While the keys are still loading, a key not
   * (yet) known is {@code 503} with {@code Retry-After} instead: it may be valid.
   */
  private String authenticate(Context ctx, Backend b) {
    List<String> values = Collections.list(ctx.req().getHeaders(ApiHeaders.AUTHORIZATION));
    Optional<String> principal = Optional.empty();
    if (values.size() == 1) {
      String v = values.get(0);
      if (v.length() > 7 && v.regionMatches(true, 0, "Bearer ", 0, 7)) {
        principal = b.keys().principalFor(v.substring(7).trim());
      }
    }
    if (principal.isEmpty() && !b.keysReady().getAsBoolean()) {
      // A valid key may just not be loaded yet: not ready, rather than 401.
      unavailable(ctx, "the API keys are still loading");
      return null;
    }
    if (principal.isEmpty()) {
      ctx.status(401).header("WWW-Authenticate", "Bearer").contentType(JSON).result(UNAUTHORIZED);
      return null;
    }
    return principal.get();
  }

  private static void unavailable(Context ctx, String message) {
    ctx.header(ApiHeaders.RETRY_AFTER, "1");
    error(ctx, 503, "ledger_unavailable", message);
  }

  static void error(Context ctx, int status, String code, String message) {
    ctx.status(status).contentType(JSON).result(ErrorBody.of(code, message));
  }

  private static void json(Context ctx, int status, String body) {
    ctx.status(status).contentType(JSON).result(body);
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

  private static Duration elapsed(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }
}

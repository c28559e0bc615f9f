package dev.letmepost.platform.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.letmepost.platform.sandbox.SandboxPlatform.AcceptedPost;
import dev.letmepost.platform.sandbox.SandboxPlatform.SandboxPost;
import dev.letmepost.platform.sandbox.SandboxPlatform.Submission;
import dev.letmepost.platform.sandbox.SandboxWire.ErrorAnswer;
import dev.letmepost.platform.sandbox.SandboxWire.Health;
import dev.letmepost.platform.sandbox.SandboxWire.PostAnswer;
import dev.letmepost.platform.sandbox.SandboxWire.PostRequest;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fake social platform over HTTP: the {@link SandboxPlatform}'s posts behind a small
 * Mastodon-like API, with the {@link Faults} a real platform has injected on demand.
 *
 * <p>Routes:
 *
 * <ul>
 *   <li>{@code POST /v1/accounts/{accountId}/posts} with an {@code Idempotency-Key} header and a
 *       JSON body {@code {"taskId","batchId","platform","text","media":[{"url","altText"}],
 *       "firstComment"}}: a new key answers {@code 201
 *       {"id","uri","publishedAt","replayed":false}}, a known key answers the first post, {@code
 *       200 {…,"replayed":true}} with {@code Idempotent-Replayed: true}, and saves nothing.
 *   <li>{@code GET /v1/posts/by-key/{idempotencyKey}}: {@code 200} the post, {@code 404} {@code
 *       not_found}, or {@code 501} {@code lookup_disabled} when {@link Faults#lookup()} is off.
 *   <li>{@code GET /healthz}: {@code 200}.
 * </ul>
 *
 * Errors are {@code {"error":{"code","message"}}}. Thread-safe; {@link #faults(Faults)} may be
 * called while requests are served.
 */
public final class SandboxServer implements AutoCloseable {
  /*
   * Why the JDK's HttpServer. It needs no dependency, and it can do the one thing a fake platform
   * must do that polite servers avoid: drop a connection after acting on the request without
   * writing a status line. HttpExchange.close() before sendResponseHeaders closes the socket (the
   * response stream was never set up), so the client reads EOF where the status should be: an
   * IOException, exactly what a platform that crashed after committing the post looks like.
   *
   * Order of a post. Validation comes first and draws no fault: a 400 is a property of the
   * request, not of the platform's mood. Then one random draw decides the fault. 500 and 429 are
   * decided before saving (they save nothing); a hang-up is decided before but done after saving.
   * Latency is slept after saving and before answering, so a client whose timeout is shorter than
   * the latency leaves a saved post behind, like a real slow platform.
   *
   * Faults and their Random travel together in one AtomicReference: faults(...) swaps both at
   * once, so a new seed restarts the sequence of draws.
   */

  private static final Logger log = LoggerFactory.getLogger(SandboxServer.class);

  private static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  /**
   * What the server has done since it started.
   *
   * @param requests every HTTP request, on every route
   * @param postsAccepted posts saved to posts.jsonl (including those answered with a hang-up)
   * @param replays posts answered with the first post of their key (including those hung up on)
   * @param injectedErrors posts answered 500 by {@link Faults#errorRate()}
   * @param injectedRateLimits posts answered 429 by {@link Faults#rateLimitRate()}
   * @param hangupsAfterSaving posts saved (or replayed) and then hung up on by {@link
   *     Faults#hangupRate()}
   */
  public record Stats(
      long requests,
      long postsAccepted,
      long replays,
      long injectedErrors,
      long injectedRateLimits,
      long hangupsAfterSaving) {
    public Stats {
      if (requests < 0
          || postsAccepted < 0
          || replays < 0
          || injectedErrors < 0
          || injectedRateLimits < 0
          || hangupsAfterSaving < 0) {
        throw new IllegalArgumentException("counts must not be negative, got " + this);
      }
    }
  }

  private record FaultState(Faults faults, Random random) {
    static FaultState of(Faults faults) {
      return new FaultState(Objects.requireNonNull(faults, "faults"), new Random(faults.seed()));
    }
  }

  private final SandboxPlatform platform;
  private final HttpServer server;
  private final ExecutorService executor;
  private final URI uri;
  private final AtomicReference<FaultState> faults;
  private final LongAdder requests = new LongAdder();
  private final LongAdder postsAccepted = new LongAdder();
  private final LongAdder replays = new LongAdder();
  private final LongAdder injectedErrors = new LongAdder();
  private final LongAdder injectedRateLimits = new LongAdder();
  private final LongAdder hangups = new LongAdder();
  private final Sleeper sleeper;

  /** How the server waits out the injected latency; tests record the delays instead. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration latency) throws InterruptedException;

    /** Sleeps on the request's thread. */
    Sleeper THREAD = latency -> Thread.sleep(latency.toMillis(), latency.toNanosPart() % 1_000_000);
  }

  private SandboxServer(
      SandboxPlatform platform,
      HttpServer server,
      ExecutorService executor,
      Faults faults,
      Sleeper sleeper) {
    this.platform = platform;
    this.sleeper = sleeper;
    this.server = server;
    this.executor = executor;
    this.faults = new AtomicReference<>(FaultState.of(faults));
    this.uri = baseUri(server.getAddress());
  }

  /**
   * Starts serving {@code platform} on {@code host}:{@code port} ({@code 0} picks a free port).
   *
   * @throws UncheckedIOException naming the address when it cannot be bound
   */
  public static SandboxServer start(
      SandboxPlatform platform, String host, int port, Faults faults) {
    return start(platform, host, port, faults, Sleeper.THREAD);
  }

  /**
   * {@link #start(SandboxPlatform, String, int, Faults)} waiting out latency with {@code sleeper}.
   */
  static SandboxServer start(
      SandboxPlatform platform, String host, int port, Faults faults, Sleeper sleeper) {
    Objects.requireNonNull(sleeper, "sleeper");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(faults, "faults");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")", e);
    }
    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "sandbox-http-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    SandboxServer sandbox = new SandboxServer(platform, server, executor, faults, sleeper);
    server.createContext("/", sandbox::handle);
    server.setExecutor(executor);
    server.start();
    log.info("sandbox platform listening on {} with {}", sandbox.uri, faults);
    return sandbox;
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8090}. */
  public URI uri() {
    return uri;
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The faults now injected. */
  public Faults faults() {
    return faults.get().faults();
  }

  /** Injects {@code faults} from the next request on; its seed restarts the random draws. */
  public void faults(Faults faults) {
    this.faults.set(FaultState.of(faults));
  }

  /** The counts so far. */
  public Stats stats() {
    return new Stats(
        requests.sum(),
        postsAccepted.sum(),
        replays.sum(),
        injectedErrors.sum(),
        injectedRateLimits.sum(),
        hangups.sum());
  }

  /** Stops listening at once, dropping requests in flight. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("sandbox server threads still running 5 s after close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) {
    requests.increment();
    try {
      route(exchange);
    } catch (RuntimeException | IOException e) {
      log.warn(
          "sandbox: {} {} failed: {}",
          exchange.getRequestMethod(),
          exchange.getRequestURI(),
          e.toString());
    } finally {
      exchange.close();
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    List<String> path;
    try {
      path = segments(rawPath(exchange));
    } catch (IllegalArgumentException e) {
      error(exchange, 400, "invalid_path", "cannot decode the path " + rawPath(exchange));
      return;
    }
    if (path.equals(List.of("healthz"))) {
      if (!allow(exchange, "GET")) {
        return;
      }
      respond(exchange, 200, Health.OK);
    } else if (path.size() == 4
        && path.get(0).equals("v1")
        && path.get(1).equals("accounts")
        && path.get(3).equals("posts")) {
      if (allow(exchange, "POST")) {
        post(exchange, path.get(2));
      }
    } else if (path.size() == 4
        && path.get(0).equals("v1")
        && path.get(1).equals("posts")
        && path.get(2).equals("by-key")) {
      if (allow(exchange, "GET")) {
        lookup(exchange, path.get(3));
      }
    } else {
      error(exchange, 404, "no_route", "no route for " + method + " " + rawPath(exchange));
    }
  }

  private void post(HttpExchange exchange, String accountId) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    if (key == null) {
      error(
          exchange,
          400,
          "missing_idempotency_key",
          "the Idempotency-Key header is required on POST " + rawPath(exchange));
      return;
    }
    Optional<String> keyProblem = keyProblem(key);
    if (keyProblem.isPresent()) {
      error(exchange, 400, "invalid_idempotency_key", keyProblem.get());
      return;
    }
    if (accountId.isBlank()) {
      error(exchange, 400, "invalid_account", "the account id in the path must not be empty");
      return;
    }
    Submission submission;
    try {
      submission = submission(key, accountId, body);
    } catch (IllegalArgumentException e) {
      error(exchange, 400, "invalid_body", e.getMessage());
      return;
    }

    FaultState state = faults.get();
    Faults.Kind fault = state.faults().draw(state.random().nextDouble());
    Duration latency = state.faults().latency();
    if (fault == Faults.Kind.ERROR) {
      injectedErrors.increment();
      delay(latency);
      error(exchange, 500, "internal_error", "injected fault: nothing was saved for key " + key);
      return;
    }
    if (fault == Faults.Kind.RATE_LIMIT) {
      injectedRateLimits.increment();
      delay(latency);
      exchange.getResponseHeaders().set("Retry-After", "1");
      error(exchange, 429, "rate_limited", "injected fault: too many requests, retry in 1 s");
      return;
    }
    SandboxPost post;
    try {
      post = platform.publish(submission, state.faults().dedup());
    } catch (UncheckedIOException e) {
      error(exchange, 500, "storage_error", "the post was not saved: " + e.getMessage());
      return;
    }
    (post.duplicate() ? replays : postsAccepted).increment();
    delay(latency);
    if (fault == Faults.Kind.HANGUP) {
      hangups.increment();
      // Closing before sendResponseHeaders drops the connection without a status line.
      exchange.close();
      return;
    }
    if (post.duplicate()) {
      exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
    }
    respond(exchange, post.duplicate() ? 200 : 201, PostAnswer.published(post));
  }

  private void lookup(HttpExchange exchange, String key) throws IOException {
    Faults now = faults();
    delay(now.latency());
    if (!now.lookup()) {
      error(
          exchange,
          501,
          "lookup_disabled",
          "this sandbox is running without a lookup by idempotency key");
      return;
    }
    Optional<AcceptedPost> post = platform.accepted(key);
    if (post.isEmpty()) {
      error(exchange, 404, "not_found", "no post was accepted with idempotency key " + key);
      return;
    }
    respond(exchange, 200, PostAnswer.found(post.get()));
  }

  /** The request body as a submission; the message names the offending field and value. */
  static Submission submission(String key, String accountId, byte[] body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    check(root);
    PostRequest request = SandboxWire.bind(root, PostRequest.class);
    return new Submission(
        key,
        accountId,
        knownPlatform(request.platform()).wireName(),
        request.taskId(),
        request.batchId(),
        request.text(),
        request.media(),
        request.firstComment());
  }

  /** Checks the shape of a post body, in the order of its fields; binding it cannot then fail. */
  private static void check(JsonNode root) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("body must be a JSON object, got " + excerpt(root));
    }
    checkFields(root, "", PostRequest.FIELDS);
    requiredText(root, "taskId", "taskId");
    requiredText(root, "batchId", "batchId");
    knownPlatform(requiredText(root, "platform", "platform"));
    optionalText(root, "text", "text");
    checkMedia(root.get("media"));
    optionalText(root, "firstComment", "firstComment");
  }

  private static Platform knownPlatform(String name) {
    Optional<Platform> platform = Platform.byName(name);
    if (platform.isEmpty()) {
      throw new IllegalArgumentException("platform '" + name + "' is not a known platform");
    }
    return platform.get();
  }

  private static void checkFields(JsonNode node, String prefix, List<String> fields) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!fields.contains(name)) {
        throw new IllegalArgumentException(
            "unknown field '" + prefix + name + "'; the fields are " + String.join(", ", fields));
      }
    }
  }

  private static void checkMedia(JsonNode media) {
    if (media == null || media.isNull()) {
      return;
    }
    if (!media.isArray()) {
      throw new IllegalArgumentException("media must be an array, got " + excerpt(media));
    }
    for (int i = 0; i < media.size(); i++) {
      JsonNode item = media.get(i);
      String where = "media[" + i + "]";
      if (!item.isObject()) {
        throw new IllegalArgumentException(where + " must be an object, got " + excerpt(item));
      }
      checkFields(item, where + ".", PostRequest.MEDIA_FIELDS);
      String url = requiredText(item, "url", where + ".url");
      if (!url.matches("https?://\\S+")) {
        throw new IllegalArgumentException(
            where + ".url must be an http(s) URL, got '" + url + "'");
      }
      optionalText(item, "altText", where + ".altText");
    }
  }

  private static String requiredText(JsonNode node, String field, String name) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual() || value.asText().isBlank()) {
      throw new IllegalArgumentException(
          name + " must be a non-empty string, got " + excerpt(value));
    }
    return value.asText();
  }

  private static void optionalText(JsonNode node, String field, String name) {
    JsonNode value = node.get(field);
    if (value != null && !value.isNull() && !value.isTextual()) {
      throw new IllegalArgumentException(name + " must be a string, got " + excerpt(value));
    }
  }

  private static String excerpt(JsonNode value) {
    if (value == null || value.isMissingNode()) {
      return "nothing";
    }
    String s = value.toString();
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  private static Optional<String> keyProblem(String key) {
    if (key.isBlank()) {
      return Optional.of("the Idempotency-Key header must not be blank");
    }
    if (key.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return Optional.of(
          "the Idempotency-Key header must be at most "
              + MAX_IDEMPOTENCY_KEY_LENGTH
              + " characters, got "
              + key.length());
    }
    return Optional.empty();
  }

  private static boolean allow(HttpExchange exchange, String method) throws IOException {
    if (exchange.getRequestMethod().equals(method)) {
      return true;
    }
    exchange.getResponseHeaders().set("Allow", method);
    error(
        exchange,
        405,
        "method_not_allowed",
        rawPath(exchange) + " takes " + method + ", not " + exchange.getRequestMethod());
    return false;
  }

  private static void error(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    respond(exchange, status, ErrorAnswer.of(code, message));
  }

  private static void respond(HttpExchange exchange, int status, Record body) throws IOException {
    byte[] bytes = Json.write(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Sleeps {@code latency}; an interrupt (the server closing) ends the request unanswered. */
  private void delay(Duration latency) {
    if (latency.isZero()) {
      return;
    }
    try {
      sleeper.sleep(latency);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while delaying the answer", e);
    }
  }

  private static String rawPath(HttpExchange exchange) {
    return exchange.getRequestURI().getRawPath();
  }

  /** The percent-decoded segments of {@code rawPath}; a malformed escape throws. */
  private static List<String> segments(String rawPath) {
    List<String> segments = new ArrayList<>();
    for (String s : rawPath.split("/", -1)) {
      segments.add(decode(s));
    }
    // A leading "/" gives an empty first segment; a trailing "/" an empty last one.
    if (!segments.isEmpty() && segments.get(0).isEmpty()) {
      segments.remove(0);
    }
    if (!segments.isEmpty() && segments.get(segments.size() - 1).isEmpty()) {
      segments.remove(segments.size() - 1);
    }
    return segments;
  }

  /** Percent-decodes one path segment; a '+' stays a '+' (it is not a space in a path). */
  private static String decode(String segment) {
    return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static URI baseUri(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    String host = ip.isAnyLocalAddress() ? "127.0.0.1" : ip.getHostAddress();
    try {
      return new URI("http", null, host, address.getPort(), null, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot build the base URL of " + address, e);
    }
  }
}

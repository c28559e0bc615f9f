package dev.letmepost.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.letmepost.net.AddressGuard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP client connectors share: sends a request under a deadline over the whole exchange and a
 * cap on the body it reads, classifies a call that got no complete answer into what it proves, and
 * reads the answers platforms have in common (Retry-After, 429, 401, 5xx).
 */
public final class PlatformHttp {
  /*
   * What a transport failure proves. A refused or timed-out CONNECT means no byte of the request
   * reached the platform: NotSent, safe to retry. Anything after the connection was open (a read
   * timeout, a reset, an EOF before the status line, a body that stalls or runs past the cap
   * after the status) may come after the platform acted on the request: Unclear, so the worker
   * reconciles instead of sending again. Other IO errors are classified Unclear too: being wrong
   * in that direction costs an `unknown`, the other direction a double post.
   *
   * The whole-call deadline. On JDK 17 to 25 HttpRequest.timeout() ends when the response headers
   * arrive: a server that sends its status and then stalls the body (or trickles it) would hold the
   * calling thread forever with BodyHandlers.ofString(). So every request is sent with sendAsync
   * and awaited for at most the deadline (connect timeout + request timeout, the figure the
   * worker's TaskJob.Factory.callTimeout multiplies by requestsPerCall); past it the body
   * subscription and the future are canceled (JDK 16+ cancels the exchange and closes the
   * connection on MinimalFuture.cancel; canceling the subscription closes it in any case) and the
   * call is Unclear platform_timeout.
   *
   * The body cap. A body is read into memory up to MAX_BODY_BYTES (1 MiB): a Content-Length above
   * it, or more bytes than it, ends the read at once, and the call is Unclear malformed_response
   * (the status came, so the platform may have acted). No platform answers a post with more than a
   * few KiB.
   *
   * The address guard. A guarded client (withGuard) checks, before every request, that every
   * address the URL's host resolves to is allowed by the net.AddressGuard policy: account
   * endpoints (a tenant's Mastodon instance or PDS) and Discord and Slack webhook URLs come from
   * outside. The HttpClient resolves the host again when it connects; the JVM's address cache
   * (networkaddress.cache.ttl, 30 s by default) hands it the answer the guard just checked. A
   * refused URL is Failed endpoint_not_allowed: nothing was sent.
   *
   * What a tenant sees. A CallResult's message ends up in the target's error in envelopes and
   * events, so it holds no raw platform answer: a non-2xx body is logged here for the operator
   * (method, host, status and the first 300 characters), and excerpt() only says how long it was.
   * Messages name the method and host only: Telegram's bot token and Discord's and Slack's webhook
   * secrets live in the URL path.
   */

  /** The most bytes of an answer's body read into memory; a longer answer is an error. */
  public static final int MAX_BODY_BYTES = 1 << 20;

  private static final Logger log = LoggerFactory.getLogger(PlatformHttp.class);
  private static final ObjectMapper LENIENT = new ObjectMapper();

  private final HttpClient client;
  private final Duration requestTimeout;
  private final Duration deadline;
  private final int maxBodyBytes;
  private final AddressGuard guard;
  private final Clock clock;

  /**
   * A client over {@code client}.
   *
   * @param requestTimeout a request's timeout when it sets none (it ends at the response headers)
   * @param deadline the most one request may take over the whole exchange, connect to last byte
   * @param maxBodyBytes the most bytes of a body read
   * @param guard the address policy checked before every request, or null for none
   */
  public PlatformHttp(
      HttpClient client,
      Duration requestTimeout,
      Duration deadline,
      int maxBodyBytes,
      AddressGuard guard,
      Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.requestTimeout = positive(requestTimeout, "requestTimeout");
    this.deadline = positive(deadline, "deadline");
    if (deadline.compareTo(requestTimeout) < 0) {
      throw new IllegalArgumentException(
          "the whole-call deadline ("
              + deadline
              + ") must not be shorter than the request timeout ("
              + requestTimeout
              + ")");
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes must be positive, got " + maxBodyBytes);
    }
    this.maxBodyBytes = maxBodyBytes;
    this.guard = guard;
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * A client on HTTP/1.1 with the given connect and request timeouts, a whole-call deadline of
   * their sum, a body cap of {@link #MAX_BODY_BYTES} and no address guard (see {@link #withGuard}).
   */
  public static PlatformHttp create(Duration connectTimeout, Duration requestTimeout, Clock clock) {
    return new PlatformHttp(
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        requestTimeout,
        connectTimeout.plus(requestTimeout),
        MAX_BODY_BYTES,
        null,
        clock);
  }

  /** This client (the same connections) checking every request against {@code guard} first. */
  public PlatformHttp withGuard(AddressGuard guard) {
    return new PlatformHttp(
        client,
        requestTimeout,
        deadline,
        maxBodyBytes,
        Objects.requireNonNull(guard, "guard"),
        clock);
  }

  /** This client with another whole-call deadline and body cap (tests make them small). */
  public PlatformHttp withLimits(Duration deadline, int maxBodyBytes) {
    return new PlatformHttp(client, requestTimeout, deadline, maxBodyBytes, guard, clock);
  }

  /** This client without an address guard: for URLs the operator chose (the sandbox's). */
  public PlatformHttp unguarded() {
    return guard == null
        ? this
        : new PlatformHttp(client, requestTimeout, deadline, maxBodyBytes, null, clock);
  }

  public Clock clock() {
    return clock;
  }

  /** The most one request may take over the whole exchange. */
  public Duration deadline() {
    return deadline;
  }

  /**
   * Sends {@code request} (its own timeout, if set, wins over the default for the wait for the
   * headers) and returns the answer, whatever its status, within the whole-call deadline.
   *
   * @throws CallFailure when no complete answer came, classified as NotSent, Unclear or Failed (a
   *     URL the guard refuses)
   */
  public HttpResponse<String> send(HttpRequest request) {
    String what = describe(request);
    if (guard != null) {
      try {
        guard.checkCall(request.uri(), ALLOW_PRIVATE_SWITCH);
      } catch (AddressGuard.Refused e) {
        log.warn("{}: refused by the address policy: {}", what, e.getMessage());
        throw new CallFailure(
            new CallResult.Failed(
                ErrorCodes.ENDPOINT_NOT_ALLOWED,
                what + " refused before sending, nothing was sent: " + e.getMessage()));
      }
    }
    HttpRequest timed =
        request.timeout().isPresent()
            ? request
            : HttpRequest.newBuilder(request, (name, value) -> true)
                .timeout(requestTimeout)
                .build();
    Duration limit = max(deadline, timed.timeout().orElse(requestTimeout));
    CappedBody body = new CappedBody(maxBodyBytes);
    CompletableFuture<HttpResponse<String>> future = client.sendAsync(timed, body);
    try {
      HttpResponse<String> response = future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
      if (response.statusCode() >= 300) {
        log.info(
            "{} answered {}{}",
            what,
            response.statusCode(),
            operatorExcerpt(response.body()).orElse(" with no body"));
      }
      return response;
    } catch (TimeoutException e) {
      body.cancel();
      future.cancel(true);
      Integer status = body.status();
      throw new CallFailure(
          new CallResult.Unclear(
              ErrorCodes.PLATFORM_TIMEOUT,
              status == null
                  ? what + ": no answer within " + limit
                  : what
                      + " answered "
                      + status
                      + " but its body did not arrive within "
                      + limit
                      + ", so the platform may have acted"));
    } catch (InterruptedException e) {
      body.cancel();
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new CallFailure(
          new CallResult.Unclear(ErrorCodes.PLATFORM_TIMEOUT, what + ": interrupted mid-call"));
    } catch (ExecutionException e) {
      throw new CallFailure(classify(e.getCause(), what, timed, body));
    }
  }

  /** What an exchange that ended with {@code failure} proves. */
  private CallResult classify(Throwable failure, String what, HttpRequest timed, CappedBody body) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof BodyTooLarge tooLarge) {
      log.warn("{} answered {} with a body over {} bytes", what, tooLarge.status, maxBodyBytes);
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE,
          what
              + " answered "
              + tooLarge.status
              + " with a body over "
              + maxBodyBytes
              + " bytes, not read, so the platform may have acted");
    }
    if (cause instanceof HttpConnectTimeoutException) {
      return new CallResult.NotSent(
          ErrorCodes.PLATFORM_UNAVAILABLE,
          what + ": could not connect (" + cause.getMessage() + ")");
    }
    if (cause instanceof HttpTimeoutException) {
      Duration timeout = timed.timeout().orElse(requestTimeout);
      Integer status = body.status();
      return new CallResult.Unclear(
          ErrorCodes.PLATFORM_TIMEOUT,
          status == null
              ? what + ": no answer within " + timeout
              : what
                  + " answered "
                  + status
                  + " but its body did not arrive within "
                  + timeout
                  + ", so the platform may have acted");
    }
    if (cause instanceof ConnectException && body.status() == null) {
      if (causedBy(cause, UnresolvedAddressException.class)) {
        return new CallResult.NotSent(
            ErrorCodes.PLATFORM_UNAVAILABLE, what + ": host could not be resolved");
      }
      return new CallResult.NotSent(
          ErrorCodes.PLATFORM_UNAVAILABLE, what + ": connection refused or unreachable");
    }
    if (causedBy(cause, UnresolvedAddressException.class)) {
      return new CallResult.NotSent(
          ErrorCodes.PLATFORM_UNAVAILABLE, what + ": host could not be resolved");
    }
    Integer status = body.status();
    return new CallResult.Unclear(
        ErrorCodes.PLATFORM_TIMEOUT,
        what
            + (status == null
                ? ": connection lost before the answer ("
                : " answered " + status + " but the connection was lost in its body (")
            + cause.getClass().getSimpleName()
            + ")");
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /** The switch that lets a guarded client call private addresses, named in refusals. */
  public static final String ALLOW_PRIVATE_SWITCH = "--allow-private-endpoints";

  /**
   * A body handler that reads at most {@code cap} bytes as a string (in the charset of the answer's
   * Content-Type, UTF-8 by default), fails with {@link BodyTooLarge} past it, and can be canceled
   * from the waiting thread.
   */
  private static final class CappedBody implements HttpResponse.BodyHandler<String> {
    private final int cap;
    private final AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
    private volatile Integer status;
    private volatile boolean canceled;

    CappedBody(int cap) {
      this.cap = cap;
    }

    Integer status() {
      return status;
    }

    void cancel() {
      canceled = true;
      Flow.Subscription s = subscription.get();
      if (s != null) {
        s.cancel();
      }
    }

    @Override
    public HttpResponse.BodySubscriber<String> apply(HttpResponse.ResponseInfo info) {
      status = info.statusCode();
      long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1L);
      Charset charset = charsetOf(info.headers());
      return new HttpResponse.BodySubscriber<>() {
        private final CompletableFuture<String> result = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public CompletionStage<String> getBody() {
          return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
          subscription.set(s);
          if (canceled) {
            s.cancel();
            result.completeExceptionally(new IOException("canceled at the deadline"));
            return;
          }
          if (declared > cap) {
            s.cancel();
            result.completeExceptionally(new BodyTooLarge(info.statusCode()));
            return;
          }
          s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
          if (result.isDone()) {
            return;
          }
          for (ByteBuffer b : buffers) {
            if (bytes.size() + b.remaining() > cap) {
              subscription.get().cancel();
              result.completeExceptionally(new BodyTooLarge(info.statusCode()));
              return;
            }
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            bytes.write(chunk, 0, chunk.length);
          }
        }

        @Override
        public void onError(Throwable throwable) {
          result.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
          result.complete(bytes.toString(charset));
        }
      };
    }
  }

  /** The charset a Content-Type names, UTF-8 when it names none or an unknown one. */
  static Charset charsetOf(HttpHeaders headers) {
    String type = headers.firstValue("Content-Type").orElse("");
    for (String part : type.split(";")) {
      String p = part.trim();
      if (p.regionMatches(true, 0, "charset=", 0, 8)) {
        try {
          return Charset.forName(p.substring(8).replace("\"", "").trim());
        } catch (IllegalArgumentException unknown) {
          return StandardCharsets.UTF_8;
        }
      }
    }
    return StandardCharsets.UTF_8;
  }

  /** A body longer than the cap; carries the status that came before it. */
  private static final class BodyTooLarge extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    BodyTooLarge(int status) {
      super("body over the cap after status " + status, null);
      this.status = status;
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
    return d;
  }

  /** {@code METHOD host}: a request named without its path or query, which may hold secrets. */
  public static String describe(HttpRequest request) {
    return request.method() + " " + request.uri().getHost();
  }

  /**
   * The answer's {@code Retry-After} (delta-seconds or an HTTP date) as a wait from now, or null
   * when absent or unreadable.
   */
  public Duration retryAfter(HttpResponse<?> response) {
    Optional<String> value = response.headers().firstValue("Retry-After");
    if (value.isEmpty()) {
      return null;
    }
    String v = value.get().trim();
    try {
      return Duration.ofMillis(Math.max(0, Math.round(Double.parseDouble(v) * 1000)));
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration wait = Duration.between(clock.instant(), at.toInstant());
        return wait.isNegative() ? Duration.ZERO : wait;
      } catch (DateTimeParseException notADate) {
        return null;
      }
    }
  }

  /**
   * The classification every platform shares, or empty for a status the connector must read itself:
   * 429 → NotSent rate_limited (with Retry-After); 503 with Retry-After → NotSent
   * platform_unavailable; 401 → Failed account_disconnected; other 5xx → Unclear platform_error.
   */
  public Optional<CallResult> commonFailure(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    if (status == 429) {
      return Optional.of(
          new CallResult.NotSent(
              ErrorCodes.RATE_LIMITED,
              what + " answered 429 Too Many Requests" + excerpt(response.body()),
              retryAfter(response)));
    }
    if (status == 503 && response.headers().firstValue("Retry-After").isPresent()) {
      return Optional.of(
          new CallResult.NotSent(
              ErrorCodes.PLATFORM_UNAVAILABLE,
              what + " answered 503 with Retry-After" + excerpt(response.body()),
              retryAfter(response)));
    }
    if (status == 401) {
      return Optional.of(
          new CallResult.Failed(
              ErrorCodes.ACCOUNT_DISCONNECTED,
              what + " refused the credentials (401)" + excerpt(response.body())));
    }
    if (status >= 500) {
      return Optional.of(
          new CallResult.Unclear(
              ErrorCodes.PLATFORM_ERROR,
              what
                  + " answered "
                  + status
                  + " after the request was sent"
                  + excerpt(response.body())));
    }
    return Optional.empty();
  }

  /** The body as a JSON tree, or null when it is not JSON. Unknown fields are fine here. */
  public static JsonNode json(String body) {
    if (body == null || body.isBlank()) {
      return null;
    }
    try {
      return LENIENT.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  /** Writes a request body as JSON. */
  public static String toJson(Object value) {
    try {
      return LENIENT.writeValueAsString(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write " + value.getClass() + " as JSON", e);
    }
  }

  /**
   * What a message may say about an answer's body: {@code " (an answer of N characters, in the
   * publisher's log)"}, or empty for an empty body. The body itself goes to the operator's log
   * ({@link #send} logs every answer of status 300 or more), never into a result a tenant sees.
   */
  public static String excerpt(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    return " (an answer of " + body.length() + " characters, in the publisher's log)";
  }

  /** {@code ": <first 300 characters of body>"} for the operator's log, or empty. */
  static Optional<String> operatorExcerpt(String body) {
    if (body == null || body.isBlank()) {
      return Optional.empty();
    }
    String flat = body.strip().replaceAll("\\s+", " ");
    return Optional.of(": " + (flat.length() > 300 ? flat.substring(0, 300) + "…" : flat));
  }
}

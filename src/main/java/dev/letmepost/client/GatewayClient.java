package dev.letmepost.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A client of the HTTP gateway (README, "HTTP API"): sends a {@link Request} with the API key and
 * the idempotency key and returns the {@link Answer}, the same as over Kafka. When the gateway
 * answers {@code 202} pending (the ledger has not answered within the gateway's wait), it polls
 * {@code GET /v1/requests/{id}} as the {@code Location} and {@code Retry-After} headers say, until
 * the answer or the deadline.
 *
 * <p>Every call has a deadline over the whole exchange (connect, send, answer, every poll; an
 * exchange still running at the deadline is cancelled) and reads at most {@code maxBodyBytes} of a
 * body. It does not retry a failed call: send the same request with the same idempotency key again
 * to get its answer.
 */
public final class GatewayClient {
  /** The largest answer body read unless told otherwise: above the largest envelope (0.6 MB). */
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  private static final String JSON = "application/json";

  private final URI base;
  private final String authorization;
  private final HttpClient http;
  private final int maxBodyBytes;

  /** A client of the gateway at {@code base} ({@code http://localhost:8080}) with an API key. */
  public GatewayClient(URI base, String apiKey) {
    this(
        base,
        apiKey,
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
        DEFAULT_MAX_BODY_BYTES);
  }

  /** A client on {@code http}, reading at most {@code maxBodyBytes} of a body. */
  public GatewayClient(URI base, String apiKey, HttpClient http, int maxBodyBytes) {
    this.base = Objects.requireNonNull(base, "base");
    this.authorization = "Bearer " + Objects.requireNonNull(apiKey, "apiKey");
    this.http = Objects.requireNonNull(http, "http");
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * Posts {@code post} under {@code idempotencyKey} (null: none) and returns the answer: {@link
   * #send} of {@link Request#post(Post)}.
   */
  public Answer post(Post post, String idempotencyKey, Duration deadline)
      throws IOException, TimeoutException, InterruptedException {
    return send(Request.post(post), idempotencyKey, deadline);
  }

  /**
   * Sends {@code request} under {@code idempotencyKey} (null: none) and returns the answer: the
   * ledger's (a batch, or its error), or the gateway's own error ({@code 401}, {@code 413}, {@code
   * 415}, {@code 503}, ...), whose request id may be null.
   *
   * @throws TimeoutException when no answer came within {@code deadline}: the request may have been
   *     sent, so send it again with the same idempotency key to get its answer
   * @throws IOException when the gateway cannot be reached or its answer cannot be read (a body
   *     over the bound)
   */
  public Answer send(Request request, String idempotencyKey, Duration deadline)
      throws IOException, TimeoutException, InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(request.path()))
            .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.bodyBytes()))
            .header("Authorization", authorization)
            .header("Content-Type", JSON)
            .header("Accept", JSON);
    if (idempotencyKey != null) {
      b.header(Headers.Http.IDEMPOTENCY_KEY, IdempotencyKeys.headerValue(idempotencyKey));
    }
    HttpResponse<byte[]> response = exchange(b, end, deadline);
    while (pending(response)) {
      URI location = location(response);
      long wait = TimeUnit.SECONDS.toNanos(retryAfterSeconds(response));
      long left = end - System.nanoTime();
      if (left <= wait) {
        throw timeout(response, deadline);
      }
      TimeUnit.NANOSECONDS.sleep(wait);
      response =
          exchange(
              HttpRequest.newBuilder(location)
                  .GET()
                  .header("Authorization", authorization)
                  .header("Accept", JSON),
              end,
              deadline);
    }
    return answer(response);
  }

  /** One exchange, bounded by what is left of the call's deadline. */
  private HttpResponse<byte[]> exchange(HttpRequest.Builder b, long end, Duration deadline)
      throws IOException, TimeoutException, InterruptedException {
    long left = end - System.nanoTime();
    if (left <= 0) {
      throw new TimeoutException("no answer from the gateway within " + deadline);
    }
    HttpRequest request = b.timeout(Duration.ofNanos(left)).build();
    CompletableFuture<HttpResponse<byte[]>> call =
        http.sendAsync(request, CappedBody.handler(maxBodyBytes));
    try {
      return call.get(left, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new TimeoutException(
          request.method() + " " + request.uri() + ": no answer within " + deadline);
    } catch (InterruptedException e) {
      call.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof java.net.http.HttpTimeoutException) {
        throw new TimeoutException(
            request.method() + " " + request.uri() + ": no answer within " + deadline);
      }
      throw cause instanceof IOException io
          ? io
          : new IOException(request.method() + " " + request.uri() + " failed: " + cause, cause);
    }
  }

  /**
   * Where a pending answer is polled: its {@code Location}, resolved against the gateway's base,
   * which must stay on the gateway (same scheme, host and port), as the poll carries the API key.
   *
   * @throws IOException naming a {@code Location} elsewhere
   */
  private URI location(HttpResponse<byte[]> pending) throws IOException {
    String where =
        pending
            .headers()
            .firstValue("Location")
            .orElse("/v1/requests/" + header(pending, Headers.Http.REQUEST_ID));
    URI location;
    try {
      location = base.resolve(where);
    } catch (IllegalArgumentException e) {
      throw new IOException("the gateway's Location '" + where + "' is not a URI", e);
    }
    if (!Objects.equals(location.getScheme(), base.getScheme())
        || !Objects.equals(location.getHost(), base.getHost())
        || location.getPort() != base.getPort()) {
      throw new IOException(
          "the gateway's Location '"
              + where
              + "' is not on the gateway "
              + base
              + ": not polled, as the poll would carry the API key there");
    }
    return location;
  }

  /**
   * The seconds a pending answer's {@code Retry-After} asks to wait: 1 when it is absent, negative
   * or not a number of seconds (an HTTP-date), so that polls never follow each other without pause
   * on a value this client does not read.
   */
  private static long retryAfterSeconds(HttpResponse<byte[]> pending) {
    Optional<String> value = pending.headers().firstValue("Retry-After");
    if (value.isEmpty()) {
      return 1;
    }
    try {
      long seconds = Long.parseLong(value.get().trim());
      return seconds < 0 ? 1 : seconds;
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /** Whether {@code r} is the {@code 202} of a request the ledger has not answered yet. */
  private static boolean pending(HttpResponse<byte[]> r) {
    if (r.statusCode() != 202) {
      return false;
    }
    try {
      JsonNode body = ClientJson.MAPPER.readTree(r.body());
      return body != null && "request".equals(body.path("object").asText(null));
    } catch (IOException e) {
      return false;
    }
  }

  private static TimeoutException timeout(HttpResponse<byte[]> pending, Duration deadline) {
    return new TimeoutException(
        "request "
            + header(pending, Headers.Http.REQUEST_ID)
            + " was not answered within "
            + deadline
            + " (still pending); send it again with the same idempotency key to get its answer");
  }

  private static Answer answer(HttpResponse<byte[]> r) {
    HttpHeaders h = r.headers();
    return new Answer(
        header(r, Headers.Http.REQUEST_ID),
        r.statusCode(),
        Boolean.parseBoolean(h.firstValue(Headers.Http.REPLAYED).orElse("false")),
        header(r, Headers.Http.IDEMPOTENCY_KEY),
        header(r, Headers.Http.BATCH_ID),
        header(r, Headers.Http.KEY_EXPIRES),
        r.body());
  }

  private static String header(HttpResponse<?> r, String name) {
    Optional<String> v = r.headers().firstValue(name);
    return v.orElse(null);
  }
}

package dev.letmepost.publish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP client connectors share: sends a request with a timeout and classifies a call that got
 * no answer into what it proves, and reads the answers platforms have in common (Retry-After, 429,
 * 401, 5xx).
 */
public final class PlatformHttp {
  /*
   * What a transport failure proves. A refused or timed-out CONNECT means no byte of the request
   * reached the platform: NotSent, safe to retry. Anything after the connection was open (a read
   * timeout, a reset, an EOF before the status line) may come after the platform acted on the
   * request: Unclear, so the worker reconciles instead of sending again. Other IO errors are
   * classified Unclear too: being wrong in that direction costs an `unknown`, the other direction a
   * double post.
   *
   * Messages name the method and host only: Telegram's bot token and Discord's and Slack's
   * webhook secrets live in the URL path.
   */

  private static final ObjectMapper LENIENT = new ObjectMapper();

  private final HttpClient client;
  private final Duration requestTimeout;
  private final Clock clock;

  public PlatformHttp(HttpClient client, Duration requestTimeout, Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** A client on HTTP/1.1 with the given connect and request timeouts. */
  public static PlatformHttp create(Duration connectTimeout, Duration requestTimeout, Clock clock) {
    return new PlatformHttp(
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build(),
        requestTimeout,
        clock);
  }

  public Clock clock() {
    return clock;
  }

  /**
   * Sends {@code request} (its own timeout, if set, wins over the default) and returns the answer,
   * whatever its status.
   *
   * @throws CallFailure when no answer came, classified as NotSent or Unclear
   */
  public HttpResponse<String> send(HttpRequest request) {
    HttpRequest timed =
        request.timeout().isPresent()
            ? request
            : HttpRequest.newBuilder(request, (name, value) -> true)
                .timeout(requestTimeout)
                .build();
    String what = describe(request);
    try {
      return client.send(timed, HttpResponse.BodyHandlers.ofString());
    } catch (HttpConnectTimeoutException e) {
      throw new CallFailure(
          new CallResult.NotSent(
              ErrorCodes.PLATFORM_UNAVAILABLE,
              what + ": could not connect (" + e.getMessage() + ")"));
    } catch (HttpTimeoutException e) {
      throw new CallFailure(
          new CallResult.Unclear(
              ErrorCodes.PLATFORM_TIMEOUT,
              what + ": no answer within " + timed.timeout().orElse(requestTimeout)));
    } catch (ConnectException e) {
      throw new CallFailure(
          new CallResult.NotSent(
              ErrorCodes.PLATFORM_UNAVAILABLE, what + ": connection refused or unreachable"));
    } catch (IOException e) {
      if (e.getCause() instanceof UnresolvedAddressException) {
        throw new CallFailure(
            new CallResult.NotSent(
                ErrorCodes.PLATFORM_UNAVAILABLE, what + ": host could not be resolved"));
      }
      throw new CallFailure(
          new CallResult.Unclear(
              ErrorCodes.PLATFORM_TIMEOUT,
              what + ": connection lost before the answer (" + e.getClass().getSimpleName() + ")"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CallFailure(
          new CallResult.Unclear(ErrorCodes.PLATFORM_TIMEOUT, what + ": interrupted mid-call"));
    }
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

  /** {@code ": <first 300 characters of body>"}, or empty for an empty body. */
  public static String excerpt(String body) {
    if (body == null || body.isBlank()) {
      return "";
    }
    String flat = body.strip().replaceAll("\\s+", " ");
    return ": " + (flat.length() > 300 ? flat.substring(0, 300) + "…" : flat);
  }
}

package dev.letmepost.gateway;

import dev.letmepost.command.Hashing;
import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/posts}: checks the request (key, content type, body size), answers a retry from
 * the {@link FastPath} when it can, else produces the command and waits for the ledger's answer
 * ({@code 202} pending after the answer timeout). The wait holds no HTTP thread ({@link Waiters}).
 *
 * <p>Identical concurrent retries on one instance (same principal, key and body hash) are coalesced
 * into one flight: one command goes to Kafka, the others share its answer as replays. The ledger
 * bounds the waiters of a running batch (409 idempotency_in_progress); coalescing keeps a retry
 * storm on one instance from reaching that bound.
 */
final class PostRoute {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private record Flight(String requestId, CompletableFuture<LedgerAnswer> answer) {}

  private final GatewayConfig config;
  private final GatewayMetrics metrics;
  private final Access access;
  private final FastPath fastPath;
  private final RecentRequests recent;
  private final Waiters waiters;
  private final Map<String, Flight> inFlight = new ConcurrentHashMap<>();

  PostRoute(
      GatewayConfig config,
      GatewayMetrics metrics,
      Access access,
      FastPath fastPath,
      RecentRequests recent,
      Waiters waiters) {
    this.config = config;
    this.metrics = metrics;
    this.access = access;
    this.fastPath = fastPath;
    this.recent = recent;
    this.waiters = waiters;
  }

  void handle(Context ctx) throws IOException {
    long started = System.nanoTime();
    Gateway.Backend b = access.backend(ctx);
    if (b == null) {
      return;
    }
    String principal = access.authenticate(ctx, b);
    if (principal == null) {
      return;
    }
    KeyHeader keyHeader = KeyHeader.read(ctx);
    if (keyHeader.refused()) {
      return;
    }
    String key = keyHeader.key();
    List<String> contentTypes = Collections.list(ctx.req().getHeaders(ApiHeaders.CONTENT_TYPE));
    if (contentTypes.size() > 1) {
      Responses.error(
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
      Responses.error(
          ctx,
          415,
          "unsupported_media_type",
          "Content-Type must be application/json, got "
              + (contentType == null ? "none" : "'" + Limits.echo(contentType) + "'"));
      return;
    }
    byte[] body = readBody(ctx);
    if (body == null) {
      Responses.error(
          ctx,
          413,
          "body_too_large",
          "the request body is larger than the limit of " + config.maxBodyBytes() + " bytes");
      return;
    }
    String bodyHash = Hashing.sha256Hex(body);
    String requestId = "req_" + UUID.randomUUID();
    String fingerprint = key == null ? null : Gateway.fingerprint(principal, key);

    if (fingerprint != null) {
      Optional<LedgerAnswer> stored = fastPath.find(b, fingerprint, bodyHash, requestId, key);
      if (stored.isPresent()) {
        recent.answered(principal, fingerprint, stored.get());
        metrics.postAnswered(stored.get(), "store", elapsed(started));
        Responses.answer(ctx, stored.get(), key);
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
    boolean coalesced = !leader;
    String waitedId = flight.requestId();
    waiters.await(
        ctx,
        principal,
        flight.answer(),
        new Waiters.Outcome() {
          @Override
          public void answered(LedgerAnswer answer) {
            LedgerAnswer a = coalesced ? answer.forFollower() : answer;
            metrics.postAnswered(a, "kafka", elapsed(started));
            Responses.answer(ctx, a, key);
          }

          @Override
          public void timedOut() {
            pending(ctx, waitedId, principal, key);
          }

          @Override
          public void failed(Throwable cause) {
            produceFailed(ctx, waitedId, body.length, cause);
          }
        });
  }

  /** The answer's future; a client that throws fails it (so no flight is left without end). */
  private CompletableFuture<LedgerAnswer> submit(
      Gateway.Backend b, String requestId, String principal, String key, byte[] body) {
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
  static void produceFailed(Context ctx, String requestId, int bodyBytes, Throwable e) {
    String what = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (e instanceof RetriableException) {
      LOG.warn("post {} could not reach Kafka: {}", requestId, what);
      ctx.header(ApiHeaders.RETRY_AFTER, "1");
      Responses.error(
          ctx, 503, "ledger_unavailable", "the command could not be written to Kafka: " + what);
    } else if (e instanceof RecordTooLargeException) {
      LOG.warn("post {}: Kafka refused the command as too large: {}", requestId, what);
      Responses.error(
          ctx,
          413,
          "record_too_large",
          "Kafka refused the command of this "
              + bodyBytes
              + "-byte body as too large: "
              + e.getMessage());
    } else {
      LOG.error("post {}: the command could not be written to Kafka: {}", requestId, what, e);
      Responses.error(
          ctx,
          500,
          "internal_error",
          "the command could not be written to Kafka (not retriable): " + what);
    }
  }

  private void pending(Context ctx, String requestId, String principal, String key) {
    metrics.timedOut();
    recent.pending(requestId, principal, key);
    Waiters.pending(ctx, requestId, key);
  }

  /** The body, or null when it is over the limit (the rest is not read). */
  private byte[] readBody(Context ctx) throws IOException {
    return readBody(ctx, config.maxBodyBytes());
  }

  /** The body, or null when it is over {@code maxBodyBytes} (the rest is not read). */
  static byte[] readBody(Context ctx, int maxBodyBytes) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      return null;
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(maxBodyBytes + 1);
      return body.length > maxBodyBytes ? null : body;
    }
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return media.toLowerCase(Locale.ROOT).equals(ApiHeaders.JSON);
  }

  private static Duration elapsed(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }
}

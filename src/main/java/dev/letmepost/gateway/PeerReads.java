package dev.letmepost.gateway;

import dev.letmepost.client.CappedBody;
import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import io.javalin.http.Context;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads answered by another gateway instance: a GET forwarded to the instance that hosts the data
 * (or, for ids that are not keys of the ledger task, asked of every other instance) and its answer
 * copied to the caller. A forwarded read carries {@code Lmp-Forwarded} and is answered locally
 * only, so it never loops.
 */
final class PeerReads {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

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

  /** The largest body read from a peer: more than any envelope or error the ledger records. */
  static final int MAX_BODY_BYTES = Limits.MAX_REQUEST_SIZE;

  private final GatewayConfig config;
  private final GatewayMetrics metrics;
  private final HttpClient http;

  PeerReads(GatewayConfig config, GatewayMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.http = HttpClient.newBuilder().connectTimeout(config.forwardTimeout()).build();
  }

  /**
   * Asks every other instance and answers when one has the data. A pending answer ({@code 202} with
   * {@code Retry-After}) is kept while another instance may have the final one; {@code
   * localPending} (this instance's own {@code 202}) comes before a peer's. Nothing found: false,
   * unless an instance could not be asked (unreachable, or not ready: {@code 503}, or {@code 401}
   * for a caller this instance authenticated), which is {@code 503} with {@code Retry-After}, as
   * the data may be there.
   */
  boolean scatter(Context ctx, Gateway.Backend b, Runnable localPending)
      throws InterruptedException {
    HttpResponse<byte[]> pending = null;
    PeerAnswer unavailable = null;
    URI unavailablePeer = null;
    // Every peer is asked at once, each call under the one deadline: the scatter as a whole takes
    // at most the forward timeout, however many peers there are.
    List<URI> peers = b.ledger().peers();
    List<CompletableFuture<PeerAnswer>> asked = new ArrayList<>();
    for (URI peer : peers) {
      asked.add(askAsync(ctx, peer));
    }
    for (int i = 0; i < peers.size(); i++) {
      PeerAnswer a = await(asked.get(i));
      switch (a.outcome()) {
        case FOUND -> {
          asked.forEach(f -> f.cancel(true));
          copy(ctx, a.response());
          return true;
        }
        case PENDING -> pending = pending == null ? a.response() : pending;
        case UNAVAILABLE -> {
          unavailable = a;
          unavailablePeer = peers.get(i);
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
      Responses.unavailable(
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

  enum Outcome {
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
  record PeerAnswer(Outcome outcome, HttpResponse<byte[]> response, String why) {}

  /**
   * Sends this GET to {@code peer} with the caller's credentials. The caller was authenticated
   * here, so a peer answering {@code 401}/{@code 403} has not loaded the keys yet: like a {@code
   * 503}, another 5xx, or no answer at all, that peer is UNAVAILABLE, never an answer to copy.
   */
  PeerAnswer ask(Context ctx, URI peer) throws InterruptedException {
    return await(askAsync(ctx, peer));
  }

  /**
   * {@link #ask} without waiting: the call has a deadline of {@link GatewayConfig#forwardTimeout()}
   * over the whole exchange (connect, headers and body, then it is cancelled) and reads at most
   * {@link #MAX_BODY_BYTES} of body; either past its bound, the peer is UNAVAILABLE. The returned
   * future never fails.
   */
  CompletableFuture<PeerAnswer> askAsync(Context ctx, URI peer) {
    String query = ctx.queryString();
    String path = ctx.path();
    URI target = peer.resolve(path + (query == null ? "" : "?" + query));
    HttpRequest.Builder req = HttpRequest.newBuilder(target).timeout(config.forwardTimeout()).GET();
    String auth = ctx.header(ApiHeaders.AUTHORIZATION);
    if (auth != null) {
      req.header(ApiHeaders.AUTHORIZATION, auth);
    }
    req.header(ApiHeaders.FORWARDED, "1");
    CompletableFuture<HttpResponse<byte[]>> call;
    try {
      call = http.sendAsync(req.build(), CappedBody.handler(MAX_BODY_BYTES));
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<HttpResponse<byte[]>> exchange = call;
    return call.copy()
        .orTimeout(config.forwardTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (resp, e) -> {
              if (e != null) {
                exchange.cancel(true); // a peer that stalls the body is not read any longer
                Throwable cause =
                    e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                String why =
                    cause instanceof TimeoutException
                        ? "no complete answer within " + config.forwardTimeout()
                        : "no answer: " + cause;
                LOG.warn("forwarding {} to {} failed: {}", path, peer, why);
                metrics.forwarded("failed");
                return new PeerAnswer(Outcome.UNAVAILABLE, null, why);
              }
              return classify(path, peer, resp);
            });
  }

  private PeerAnswer classify(String path, URI peer, HttpResponse<byte[]> resp) {
    int status = resp.statusCode();
    if (status == 404) {
      metrics.forwarded("not_found");
      return new PeerAnswer(Outcome.NOT_FOUND, resp, null);
    }
    if (status == 401 || status == 403 || status >= 500) {
      LOG.warn("forwarding {} to {}: the peer answered {}", path, peer, status);
      metrics.forwarded("unavailable");
      return new PeerAnswer(Outcome.UNAVAILABLE, null, "it answered " + status);
    }
    metrics.forwarded("found");
    boolean pending =
        status == 202 && resp.headers().firstValue(ApiHeaders.RETRY_AFTER).isPresent();
    return new PeerAnswer(pending ? Outcome.PENDING : Outcome.FOUND, resp, null);
  }

  private static PeerAnswer await(CompletableFuture<PeerAnswer> answer)
      throws InterruptedException {
    try {
      return answer.get();
    } catch (ExecutionException | CancellationException e) {
      // askAsync's future does not fail; this is a bug, reported as a peer not asked
      return new PeerAnswer(Outcome.UNAVAILABLE, null, "not asked: " + e);
    }
  }

  /** Copies a peer's answer to the caller. */
  static void copy(Context ctx, HttpResponse<byte[]> resp) {
    ctx.status(resp.statusCode());
    for (String h : FORWARDED_RESPONSE_HEADERS) {
      resp.headers().firstValue(h).ifPresent(v -> ctx.header(h, v));
    }
    ctx.result(resp.body());
  }

  static boolean forwarded(Context ctx) {
    return ctx.header(ApiHeaders.FORWARDED) != null;
  }
}

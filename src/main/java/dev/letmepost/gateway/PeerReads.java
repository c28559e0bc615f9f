package dev.letmepost.gateway;

import dev.letmepost.http.ApiHeaders;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
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

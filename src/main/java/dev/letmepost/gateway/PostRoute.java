package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.command.Hashing;
import dev.letmepost.wire.LmpHeaders;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code POST /v1/posts}: the {@link WritePipeline}'s checks, then the {@link FastPath} answers a
 * retry when it can, else the command is produced and its answer awaited ({@code 202} pending after
 * the answer timeout).
 *
 * <p>Identical concurrent retries on one instance (same principal, key and body hash) are coalesced
 * into one flight: one command goes to Kafka, the others share its answer as replays. The ledger
 * bounds the waiters of a running batch (409 idempotency_in_progress); coalescing keeps a retry
 * storm on one instance from reaching that bound.
 */
final class PostRoute {
  private record Flight(String requestId, CompletableFuture<Answer> answer) {}

  private final GatewayMetrics metrics;
  private final WritePipeline pipeline;
  private final WritePipeline.Rules rules;
  private final FastPath fastPath;
  private final RecentRequests recent;
  private final Map<String, Flight> inFlight = new ConcurrentHashMap<>();

  PostRoute(
      GatewayMetrics metrics, WritePipeline pipeline, FastPath fastPath, RecentRequests recent) {
    this.metrics = metrics;
    this.pipeline = pipeline;
    this.rules = pipeline.command(WritePipeline.Json.ALWAYS);
    this.fastPath = fastPath;
    this.recent = recent;
  }

  void handle(Context ctx) throws IOException {
    long started = System.nanoTime();
    WritePipeline.Write w = pipeline.admit(ctx, rules, c -> true);
    if (w == null) {
      return;
    }
    String principal = w.principal();
    String key = w.key();
    String bodyHash = Hashing.sha256Hex(w.body());
    String requestId = "req_" + UUID.randomUUID();
    String fingerprint = key == null ? null : Gateway.fingerprint(principal, key);

    if (fingerprint != null) {
      Optional<Answer> stored =
          fastPath.find(w.caller().backend(), fingerprint, bodyHash, requestId, key);
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
      flight = new Flight(requestId, submit(w, requestId));
      leader = true;
    } else {
      String flightKey = fingerprint + "|" + bodyHash;
      Flight mine = new Flight(requestId, new CompletableFuture<>());
      Flight existing = inFlight.putIfAbsent(flightKey, mine);
      leader = existing == null;
      flight = leader ? mine : existing;
      if (leader) {
        submit(w, requestId)
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
    pipeline.answer(
        ctx,
        w,
        flight.requestId(),
        flight.answer(),
        answer -> {
          Answer a = coalesced ? forFollower(answer) : answer;
          metrics.postAnswered(a, "kafka", elapsed(started));
          return a;
        });
  }

  private CompletableFuture<Answer> submit(WritePipeline.Write w, String requestId) {
    return pipeline.submit(w, requestId, LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH);
  }

  /**
   * The answer {@code a} as a coalesced retry gets it: a batch answer reads as a replay, an error
   * as is; the request id stays the one the ledger knows, so that it can be looked up.
   */
  static Answer forFollower(Answer a) {
    return new Answer(
        a.requestId(),
        a.status(),
        a.replayed() || a.batchId() != null,
        a.idempotencyKey(),
        a.batchId(),
        a.keyExpires(),
        a.body());
  }

  private static Duration elapsed(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }
}

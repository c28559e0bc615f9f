package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import io.javalin.http.Context;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests waiting for the ledger's answer on this instance, per principal: a waiting request
 * holds no HTTP thread (it is an asynchronous Javalin request, resumed when the answer, or its
 * timeout, completes its future), only a slot here.
 *
 * <p>Bound: at most {@link GatewayConfig#maxWaitersPerPrincipal()} slots per principal; a request
 * past it does not wait at all and is answered as a timed-out one ({@code 202} with the {@code
 * Location} to poll). One principal's flood therefore takes neither threads nor slots from another
 * principal, nor from {@code /healthz} and {@code /readyz}. The map holds one counter per principal
 * with a waiter and drops it when the last one leaves.
 */
final class Waiters {
  /** How a waited-for answer ends: the answer, no answer in time, or a failure to hand it over. */
  interface Outcome {
    void answered(Answer a);

    void timedOut();

    void failed(Throwable cause);
  }

  private final GatewayConfig config;
  private final GatewayMetrics metrics;
  private final Executor resume;
  private final Map<String, AtomicInteger> byPrincipal = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();

  /**
   * @param resume where a waiting request is resumed and written (the HTTP server's threads), never
   *     the thread that completes the answer (the results consumer)
   */
  Waiters(GatewayConfig config, GatewayMetrics metrics, Executor resume) {
    this.config = config;
    this.metrics = metrics;
    this.resume = resume;
    metrics.waiters(total::get);
  }

  /** Requests waiting on this instance, every principal. */
  int waiting() {
    return total.get();
  }

  /**
   * Whether a request of {@code principal} would not wait now (its waiters are at their bound): it
   * is then sent without awaiting its answer ({@link WritePipeline#submit}), so that a principal
   * past its bound holds none of the instance's awaited answers. Checked before the request enters
   * ({@link #await}): requests of one principal that arrive together may all pass it, so it can
   * hold a few more awaited answers than its bound for one answer timeout, never more than the
   * requests it has in flight at once.
   */
  boolean full(String principal) {
    return waiting(principal) >= config.maxWaitersPerPrincipal();
  }

  /** Requests of {@code principal} waiting on this instance. */
  int waiting(String principal) {
    AtomicInteger n = byPrincipal.get(principal);
    return n == null ? 0 : n.get();
  }

  /**
   * Waits for {@code answer} without holding the request's thread, at most {@link
   * GatewayConfig#answerTimeout()}, and writes what comes with {@code outcome} on an HTTP thread.
   * Past the principal's bound, {@link Outcome#timedOut()} at once; either timeout is counted
   * ({@link GatewayMetrics#timedOut()}). {@code answer} itself is never completed or cancelled here
   * (coalesced requests share it).
   */
  void await(Context ctx, String principal, CompletableFuture<Answer> answer, Outcome outcome) {
    if (!enter(principal)) {
      timedOut(outcome);
      return;
    }
    CompletableFuture<Answer> mine =
        answer.copy().orTimeout(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    mine.whenComplete((a, e) -> leave(principal));
    ctx.future(
        () ->
            mine.handleAsync(
                (a, e) -> {
                  if (e == null) {
                    outcome.answered(a);
                    return null;
                  }
                  Throwable cause = unwrap(e);
                  if (cause instanceof TimeoutException) {
                    timedOut(outcome);
                  } else if (cause instanceof CancellationException) {
                    Responses.error(ctx, 503, "ledger_unavailable", "the gateway is shutting down");
                  } else {
                    outcome.failed(cause);
                  }
                  return null;
                },
                resume));
  }

  /** Counts the answer timeout (a request past the bound is one too) and lets {@code o} answer. */
  private void timedOut(Outcome o) {
    metrics.timedOut();
    o.timedOut();
  }

  private boolean enter(String principal) {
    int max = config.maxWaitersPerPrincipal();
    boolean[] entered = {false};
    byPrincipal.compute(
        principal,
        (p, n) -> {
          AtomicInteger c = n == null ? new AtomicInteger() : n;
          if (c.get() < max) {
            c.incrementAndGet();
            entered[0] = true;
          }
          return c.get() == 0 ? null : c;
        });
    if (entered[0]) {
      total.incrementAndGet();
    }
    return entered[0];
  }

  private void leave(String principal) {
    byPrincipal.computeIfPresent(principal, (p, n) -> n.decrementAndGet() == 0 ? null : n);
    total.decrementAndGet();
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}

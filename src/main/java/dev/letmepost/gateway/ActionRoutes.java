package dev.letmepost.gateway;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The batch actions (docs/contract.md#batch-actions): {@code DELETE /v1/batches/{id}} (cancel),
 * {@code PATCH /v1/batches/{id}} (reschedule) and {@code POST /v1/batches/{id}/retry}, each turned
 * into a command with its {@code lmp-method} and {@code lmp-path} and answered with the ledger's
 * recorded status and bytes, as {@code POST /v1/posts} is ({@code 202} pending after the answer
 * timeout).
 *
 * <p>The ledger decides everything (state, principal, idempotency); the gateway checks only what it
 * must to produce a command: the API key, the {@code Idempotency-Key}, the body's size and, when a
 * body is sent, its {@code Content-Type}. An id that cannot name a batch (longer than {@link
 * BatchAction#MAX_BATCH_ID_CHARS}) reads as a missing batch without a command.
 */
final class ActionRoutes {
  /*
   * No fast path and no coalescing: an action's replay record lives in the ledger task of the
   * batch it acts on, under a key only that task derives (see ledger/DecideAction), so the
   * gateway cannot look it up by fingerprint as it does for posts; actions are rare, and the
   * ledger answers their retries byte for byte.
   */
  private final GatewayConfig config;
  private final GatewayMetrics metrics;
  private final Access access;
  private final RecentRequests recent;
  private final Waiters waiters;

  ActionRoutes(
      GatewayConfig config,
      GatewayMetrics metrics,
      Access access,
      RecentRequests recent,
      Waiters waiters) {
    this.config = config;
    this.metrics = metrics;
    this.access = access;
    this.recent = recent;
    this.waiters = waiters;
  }

  /** {@code DELETE /v1/batches/{id}}. */
  void cancel(Context ctx) throws IOException {
    act(ctx, BatchAction.Kind.CANCEL);
  }

  /** {@code PATCH /v1/batches/{id}} with {@code {"scheduledAt": ...}}. */
  void reschedule(Context ctx) throws IOException {
    act(ctx, BatchAction.Kind.RESCHEDULE);
  }

  /** {@code POST /v1/batches/{id}/retry}. */
  void retry(Context ctx) throws IOException {
    act(ctx, BatchAction.Kind.RETRY);
  }

  private void act(Context ctx, BatchAction.Kind kind) throws IOException {
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
    String id = ctx.pathParam("id");
    if (id.isEmpty() || id.length() > BatchAction.MAX_BATCH_ID_CHARS || id.contains("/")) {
      Responses.error(
          ctx, 404, "batch_not_found", "no batch '" + Limits.echo(id) + "' for this API key");
      return;
    }
    byte[] body = PostRoute.readBody(ctx, config.maxBodyBytes());
    if (body == null) {
      Responses.error(
          ctx,
          413,
          "body_too_large",
          "the request body is larger than the limit of " + config.maxBodyBytes() + " bytes");
      return;
    }
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
    if ((body.length > 0 || kind == BatchAction.Kind.RESCHEDULE)
        && !PostRoute.isJson(contentType)) {
      Responses.error(
          ctx,
          415,
          "unsupported_media_type",
          "Content-Type must be application/json, got "
              + (contentType == null ? "none" : "'" + Limits.echo(contentType) + "'"));
      return;
    }
    BatchAction action = new BatchAction(kind, id);
    String requestId = "req_" + UUID.randomUUID();
    CompletableFuture<LedgerAnswer> answer;
    try {
      answer = b.client().submit(requestId, principal, key, action.method(), action.path(), body);
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    // The client's waiter ends with the wait: a late answer is read from the ledger's index.
    answer = answer.orTimeout(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
    int bodyBytes = body.length;
    waiters.await(
        ctx,
        principal,
        answer,
        new Waiters.Outcome() {
          @Override
          public void answered(LedgerAnswer a) {
            Responses.answer(ctx, a, key);
          }

          @Override
          public void timedOut() {
            metrics.timedOut();
            recent.pending(requestId, principal, key);
            Waiters.pending(ctx, requestId, key);
          }

          @Override
          public void failed(Throwable cause) {
            PostRoute.produceFailed(ctx, requestId, bodyBytes, cause);
          }
        });
  }
}

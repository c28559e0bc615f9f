package dev.letmepost.gateway;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.Limits;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The batch actions (docs/contract.md#batch-actions): {@code DELETE /v1/batches/{id}} (cancel),
 * {@code PATCH /v1/batches/{id}} (reschedule) and {@code POST /v1/batches/{id}/retry}, each turned
 * into a command with its {@code lmp-method} and {@code lmp-path} and answered with the ledger's
 * recorded status and bytes, as {@code POST /v1/posts} is ({@code 202} pending after the answer
 * timeout).
 *
 * <p>The ledger decides everything (state, principal, idempotency); the gateway checks only what it
 * must to produce a command, with the {@link WritePipeline}: the API key, the {@code
 * Idempotency-Key}, the id, the {@code Content-Type} (a reschedule's always, a cancel's and a
 * retry's only when a body is sent) and the body's size. An id that cannot name a batch (longer
 * than {@link BatchAction#MAX_BATCH_ID_CHARS}) reads as a missing batch without a command.
 */
final class ActionRoutes {
  /*
   * No fast path and no coalescing: an action's replay record lives in the ledger task of the
   * batch it acts on, under a key only that task derives (see ledger/DecideAction), so the
   * gateway cannot look it up by fingerprint as it does for posts; actions are rare, and the
   * ledger answers their retries byte for byte.
   */
  private final WritePipeline pipeline;

  ActionRoutes(WritePipeline pipeline) {
    this.pipeline = pipeline;
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
    String id = ctx.pathParam("id");
    Optional<BatchAction> action = action(kind, id);
    WritePipeline.Rules rules =
        pipeline.command(
            kind == BatchAction.Kind.RESCHEDULE
                ? WritePipeline.Json.ALWAYS
                : WritePipeline.Json.WHEN_SENT);
    WritePipeline.Write w =
        pipeline.admit(
            ctx,
            rules,
            c -> {
              if (action.isEmpty()) {
                Responses.error(
                    c,
                    404,
                    "batch_not_found",
                    "no batch '" + Limits.echo(id) + "' for this API key");
              }
              return action.isPresent();
            });
    if (w == null) {
      return;
    }
    String requestId = "req_" + UUID.randomUUID();
    pipeline.answer(
        ctx,
        w,
        requestId,
        pipeline.submit(w, requestId, action.get().method(), action.get().path()),
        UnaryOperator.identity());
  }

  /**
   * The action {@code id} names, or empty when it cannot name a batch (see {@link BatchAction}).
   */
  private static Optional<BatchAction> action(BatchAction.Kind kind, String id) {
    try {
      return Optional.of(new BatchAction(kind, id));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}

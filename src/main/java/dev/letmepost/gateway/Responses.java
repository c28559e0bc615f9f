package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.ErrorBody;
import dev.letmepost.http.PendingRequest;
import io.javalin.http.Context;

/**
 * How the gateway's routes write an answer: a ledger answer with its headers, the {@code 202} of a
 * request not answered yet, and the JSON error bodies.
 */
final class Responses {
  private Responses() {}

  static void answer(Context ctx, Answer a, String key) {
    ctx.status(a.status());
    ctx.header(ApiHeaders.REPLAYED, Boolean.toString(a.replayed()));
    if (key != null) {
      ctx.header(ApiHeaders.IDEMPOTENCY_KEY, key);
    }
    if (a.keyExpires() != null) {
      ctx.header(ApiHeaders.KEY_EXPIRES, a.keyExpires());
    }
    ctx.header(ApiHeaders.REQUEST_ID, a.requestId());
    if (a.batchId() != null) {
      ctx.header(ApiHeaders.BATCH_ID, a.batchId());
    }
    ctx.contentType(ApiHeaders.JSON).result(a.body());
  }

  /** {@code 202} with the pending body: the answer to {@code requestId} is not known yet. */
  static void pendingRead(Context ctx, String requestId, String key, String batchId) {
    ctx.status(202);
    ctx.header(ApiHeaders.RETRY_AFTER, "1");
    ctx.header(ApiHeaders.REQUEST_ID, requestId);
    if (key != null) {
      ctx.header(ApiHeaders.IDEMPOTENCY_KEY, key);
    }
    ctx.contentType(ApiHeaders.JSON).result(PendingRequest.of(requestId, batchId));
  }

  static void unavailable(Context ctx, String message) {
    ctx.header(ApiHeaders.RETRY_AFTER, "1");
    error(ctx, 503, "ledger_unavailable", message);
  }

  static void error(Context ctx, int status, String code, String message) {
    ctx.status(status).contentType(ApiHeaders.JSON).result(ErrorBody.of(code, message));
  }

  static void json(Context ctx, int status, String body) {
    ctx.status(status).contentType(ApiHeaders.JSON).result(body);
  }
}

package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.client.ApiError;
import dev.letmepost.client.IdempotencyKeys;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.ErrorBody;
import dev.letmepost.http.PendingRequest;
import io.javalin.http.Context;
import java.util.Set;

/**
 * How the gateway's routes write an answer: a ledger answer with its headers, the {@code 202} of a
 * request not answered yet, and the JSON error bodies. An idempotency error carries {@code Link:
 * </v1/idempotency-policy>; rel="describedby"} (draft-ietf-httpapi-idempotency-key-header), and
 * {@code 409 idempotency_in_progress} a {@code Retry-After}.
 */
final class Responses {
  /** Where the gateway publishes its idempotency policy. */
  static final String POLICY_PATH = "/v1/idempotency-policy";

  static final String POLICY_LINK = "<" + POLICY_PATH + ">; rel=\"describedby\"";

  /*
   * Retry-After of 409 idempotency_in_progress, in seconds. The ledger answers it only when
   * --max-waiters retries already wait on the running batch; they get its answer the moment it
   * comes. A retry sooner than a few seconds would meet the same full list (each one a Kafka round
   * trip through the ledger); a platform call is seconds, so by 5 s the batch is often answered
   * and the retry is a replay. The batch can run up to the target deadline (minutes): the client
   * may need several retries, each one cheap.
   */
  static final String IN_PROGRESS_RETRY_AFTER_SECONDS = "5";

  /** The error codes about the idempotency key, which point to the policy. */
  static final Set<String> IDEMPOTENCY_CODES =
      Set.of(
          "invalid_idempotency_key",
          "idempotency_key_required",
          "idempotency_in_progress",
          "idempotency_conflict");

  private Responses() {}

  static void answer(Context ctx, Answer a, String key) {
    ctx.status(a.status());
    ctx.header(ApiHeaders.REPLAYED, Boolean.toString(a.replayed()));
    if (key != null) {
      ctx.header(ApiHeaders.IDEMPOTENCY_KEY, IdempotencyKeys.headerValue(key));
    }
    if (a.status() >= 400) {
      a.error().map(ApiError::code).ifPresent(code -> idempotencyHeaders(ctx, code));
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
      ctx.header(ApiHeaders.IDEMPOTENCY_KEY, IdempotencyKeys.headerValue(key));
    }
    ctx.contentType(ApiHeaders.JSON).result(PendingRequest.of(requestId, batchId));
  }

  static void unavailable(Context ctx, String message) {
    ctx.header(ApiHeaders.RETRY_AFTER, "1");
    error(ctx, 503, "ledger_unavailable", message);
  }

  static void error(Context ctx, int status, String code, String message) {
    idempotencyHeaders(ctx, code);
    ctx.status(status).contentType(ApiHeaders.JSON).result(ErrorBody.of(code, message));
  }

  static void json(Context ctx, int status, String body) {
    ctx.status(status).contentType(ApiHeaders.JSON).result(body);
  }

  /** The policy link of an idempotency error, and the Retry-After of one in progress. */
  private static void idempotencyHeaders(Context ctx, String code) {
    if (IDEMPOTENCY_CODES.contains(code)) {
      ctx.header(ApiHeaders.LINK, POLICY_LINK);
    }
    if (code.equals("idempotency_in_progress")) {
      ctx.header(ApiHeaders.RETRY_AFTER, IN_PROGRESS_RETRY_AFTER_SECONDS);
    }
  }
}

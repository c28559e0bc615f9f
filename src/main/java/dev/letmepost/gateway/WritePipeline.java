package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.client.Command;
import dev.letmepost.client.Request;
import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write pipeline: how every route that writes ({@code POST /v1/posts}, the batch actions, the
 * creation of a webhook endpoint), or would write ({@code POST /v1/posts/validate}), takes its
 * request, in one order of checks ({@link #admit}), and how a write that is a ledger command is
 * submitted ({@link #submit}), awaited and answered ({@link #answer}).
 */
final class WritePipeline {
  /*
   * The order of checks; the first that fails answers:
   *   1. the caller (Access): 503 while the gateway starts or the keys load, else 401. First, so
   *      that a caller without a valid API key learns nothing about the request or what it names;
   *   2. the Idempotency-Key (KeyHeader), on routes that take one: 400 invalid_idempotency_key, or
   *      400 idempotency_key_required when absent and the caller's API key requires one (never on
   *      a dry run, which records nothing a key would guard);
   *   3. the route's own check of what the path names (a batch action's id: 404 batch_not_found;
   *      the webhook store: 503 webhooks_unavailable; the ledger a dry run reads: 503
   *      ledger_unavailable);
   *   4. the Content-Type: 415 unsupported_media_type, sent twice, or not application/json where
   *      the route needs JSON (always, or only when a body is sent);
   *   5. the body's size: 413 body_too_large; a declared Content-Length over the limit is refused
   *      unread, else at most limit + 1 bytes are read.
   * Everything a request's line and headers can refuse is refused before its body is read (but for
   * one byte of a chunked body, to tell whether a cancel or retry without a JSON Content-Type sent
   * one). A command is then produced and awaited without an HTTP thread (Waiters): the ledger's
   * answer; no answer within the answer timeout, or past the principal's waiter bound, is 202 with
   * the Location to poll (and the id kept in RecentRequests, so that it reads as pending); a
   * command Kafka did not take is 503, 413 or 500 (produceFailed).
   */
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  /** When a route's body must be {@code application/json}. */
  enum Json {
    /** Always, even when the body is empty (posts, reschedule, webhook endpoints). */
    ALWAYS,
    /** Only when a body is sent: an empty one needs no Content-Type (cancel, retry). */
    WHEN_SENT
  }

  /** Whether a route reads an {@code Idempotency-Key}, and whether a caller can be held to one. */
  enum Key {
    /** Not read: the route records nothing a key would guard (the webhook endpoints). */
    NONE,
    /**
     * Read, and required when the caller's API key requires one ({@link
     * Access.Caller#keyRequired}): the ledger commands.
     */
    REQUIRABLE,
    /** Read and checked, never required: a dry run, which records nothing. */
    CHECKED
  }

  /**
   * What a write route takes besides its caller.
   *
   * @param key whether the route reads an {@code Idempotency-Key}
   * @param json when the body must be JSON
   * @param maxBodyBytes the largest body accepted
   */
  record Rules(Key key, Json json, int maxBodyBytes) {}

  /**
   * The route's own check of what its path names, after the caller and key: false once it has
   * answered the request itself.
   */
  @FunctionalInterface
  interface Check {
    boolean admits(Context ctx);
  }

  /**
   * A write request that passed every check: a request in flight, never compared or logged.
   *
   * @param key the {@code Idempotency-Key}, null when none was sent or the route takes none
   * @param body the exact body bytes, empty when none was sent
   */
  record Write(Access.Caller caller, String key, byte[] body) {
    String principal() {
      return caller.principal();
    }
  }

  private final GatewayConfig config;
  private final Access access;
  private final RecentRequests recent;
  private final Waiters waiters;

  WritePipeline(GatewayConfig config, Access access, RecentRequests recent, Waiters waiters) {
    this.config = config;
    this.access = access;
    this.recent = recent;
    this.waiters = waiters;
  }

  /** The rules of a ledger command's route: it takes a key; its body is at most the gateway's. */
  Rules command(Json json) {
    return new Rules(Key.REQUIRABLE, json, config.maxBodyBytes());
  }

  /**
   * The rules of a dry run of a ledger command: those of its route ({@link #command}), but a key is
   * never required.
   */
  Rules dryRun(Json json) {
    return new Rules(Key.CHECKED, json, config.maxBodyBytes());
  }

  /**
   * The write, or null once the request is answered: runs the checks in their order (see the
   * comment at the top of this class), {@code check} third.
   */
  Write admit(Context ctx, Rules rules, Check check) throws IOException {
    Access.Caller caller = access.caller(ctx);
    if (caller == null) {
      return null;
    }
    String key = null;
    if (rules.key() != Key.NONE) {
      KeyHeader header = KeyHeader.read(ctx);
      if (header.refused()) {
        return null;
      }
      key = header.key();
      if (key == null && rules.key() == Key.REQUIRABLE && caller.keyRequired()) {
        Responses.error(
            ctx,
            400,
            "idempotency_key_required",
            "the API key of principal '"
                + caller.principal()
                + "' requires an Idempotency-Key on every write; send one (a UUID)");
        return null;
      }
    }
    if (!check.admits(ctx)) {
      return null;
    }
    List<String> types = Collections.list(ctx.req().getHeaders(ApiHeaders.CONTENT_TYPE));
    if (types.size() > 1) {
      Responses.error(
          ctx,
          415,
          "unsupported_media_type",
          "Content-Type must be sent once, got "
              + types.size()
              + " values: "
              + Limits.echo(String.join(", ", types)));
      return null;
    }
    String type = types.isEmpty() ? null : types.get(0);
    if (!isJson(type)) {
      if (rules.json() == Json.ALWAYS || bodySent(ctx)) {
        Responses.error(
            ctx,
            415,
            "unsupported_media_type",
            "Content-Type must be application/json, got "
                + (type == null ? "none" : "'" + Limits.echo(type) + "'"));
        return null;
      }
      return new Write(caller, key, new byte[0]);
    }
    byte[] body = readBody(ctx, rules.maxBodyBytes());
    if (body == null) {
      Responses.error(
          ctx,
          413,
          "body_too_large",
          "the request body is larger than the limit of " + rules.maxBodyBytes() + " bytes");
      return null;
    }
    return new Write(caller, key, body);
  }

  /**
   * Produces {@code w} as the command {@code method} {@code path} under {@code requestId}. The
   * answer's future fails when the client throws (so that no one waits for it for ever) and ends
   * with a timeout after the answer timeout, which ends the client's waiter: a later answer is read
   * from the ledger's request index.
   */
  CompletableFuture<Answer> submit(Write w, String requestId, String method, String path) {
    CompletableFuture<Answer> answer;
    try {
      Command command =
          new Command(w.principal(), w.key(), requestId, new Request(method, path, w.body()));
      answer = w.caller().backend().client().submit(command, config.answerTimeout());
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    return answer.orTimeout(config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Answers {@code w} with {@code answer} once it comes, without holding an HTTP thread ({@link
   * Waiters}): the ledger's answer as {@code shown} makes it; {@code 202} pending with the {@code
   * Location} of {@code requestId} when it does not come within the answer timeout or the
   * principal's waiters are at their bound; the error when the command could not be produced.
   */
  void answer(
      Context ctx,
      Write w,
      String requestId,
      CompletableFuture<Answer> answer,
      UnaryOperator<Answer> shown) {
    waiters.await(
        ctx,
        w.principal(),
        answer,
        new Waiters.Outcome() {
          @Override
          public void answered(Answer a) {
            Responses.answer(ctx, shown.apply(a), w.key());
          }

          @Override
          public void timedOut() {
            recent.pending(requestId, w.principal(), w.key());
            ctx.header(ApiHeaders.LOCATION, "/v1/requests/" + requestId);
            Responses.pendingRead(ctx, requestId, w.key(), null);
          }

          @Override
          public void failed(Throwable cause) {
            produceFailed(ctx, requestId, w.body().length, cause);
          }
        });
  }

  /**
   * The command could not be produced. Only a transient Kafka error ({@link RetriableException}) or
   * this instance's bound of awaited answers ({@link RejectedExecutionException}, {@link
   * KafkaLedgerClient#MAX_WAITERS}) is {@code 503} with {@code Retry-After}: a retry can succeed. A
   * record Kafka refuses as too large is {@code 413} and any other error {@code 500}, since
   * retrying the same request would fail the same way.
   */
  private static void produceFailed(Context ctx, String requestId, int bodyBytes, Throwable e) {
    String what = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (e instanceof RetriableException || e instanceof RejectedExecutionException) {
      LOG.warn("command {} could not reach Kafka: {}", requestId, what);
      ctx.header(ApiHeaders.RETRY_AFTER, "1");
      Responses.error(
          ctx, 503, "ledger_unavailable", "the command could not be written to Kafka: " + what);
    } else if (e instanceof RecordTooLargeException) {
      LOG.warn("command {}: Kafka refused the command as too large: {}", requestId, what);
      Responses.error(
          ctx,
          413,
          "record_too_large",
          "Kafka refused the command of this "
              + bodyBytes
              + "-byte body as too large: "
              + e.getMessage());
    } else {
      LOG.error("command {} could not be written to Kafka: {}", requestId, what, e);
      Responses.error(
          ctx,
          500,
          "internal_error",
          "the command could not be written to Kafka (not retriable): " + what);
    }
  }

  /** The body, or null when it is over {@code maxBodyBytes} (the rest is not read). */
  private static byte[] readBody(Context ctx, int maxBodyBytes) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBodyBytes) {
      return null;
    }
    try (InputStream in = ctx.req().getInputStream()) {
      byte[] body = in.readNBytes(maxBodyBytes + 1);
      return body.length > maxBodyBytes ? null : body;
    }
  }

  /**
   * Whether the request has a body: a declared {@code Content-Length} above 0 or, when none is
   * declared (chunked), a first byte.
   */
  private static boolean bodySent(Context ctx) throws IOException {
    long declared = ctx.req().getContentLengthLong();
    if (declared >= 0) {
      return declared > 0;
    }
    try (InputStream in = ctx.req().getInputStream()) {
      return in.read() >= 0;
    }
  }

  private static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semi = contentType.indexOf(';');
    String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
    return media.toLowerCase(Locale.ROOT).equals(ApiHeaders.JSON);
  }
}

package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.command.Limits;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.ledger.BatchView;
import dev.letmepost.ledger.RequestView;
import dev.letmepost.wire.Json;
import io.javalin.http.Context;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;

/**
 * The reads: {@code GET /v1/idempotency-keys/{key}}, {@code /v1/batches/{id}} and {@code
 * /v1/requests/{id}}, served from the ledger's stores here, else from the instance that hosts the
 * data ({@link PeerReads}). A fingerprint's owner is known from the ledger's metadata; batch and
 * request ids are not keys of the fingerprint-partitioned ledger task, so those reads ask the local
 * stores first and then every other instance (scatter-gather).
 */
final class ReadRoutes {
  private final Clock clock;
  private final Access access;
  private final RecentRequests recent;
  private final PeerReads peers;

  ReadRoutes(Clock clock, Access access, RecentRequests recent, PeerReads peers) {
    this.clock = clock;
    this.access = access;
    this.recent = recent;
    this.peers = peers;
  }

  void getKey(Context ctx) throws InterruptedException {
    Access.Caller c = access.caller(ctx);
    if (c == null) {
      return;
    }
    String key = ctx.pathParam("key");
    Optional<String> problem = IdempotencyKeys.problem(key);
    if (problem.isPresent()) {
      Responses.error(ctx, 400, "invalid_idempotency_key", problem.get());
      return;
    }
    String fingerprint = Gateway.fingerprint(c.principal(), key);
    Optional<URI> owner = c.backend().ledger().ownerOf(fingerprint);
    if (owner.isPresent() && !PeerReads.forwarded(ctx)) {
      PeerReads.PeerAnswer a = peers.ask(ctx, owner.get());
      if (a.outcome() == PeerReads.Outcome.UNAVAILABLE) {
        Responses.unavailable(
            ctx,
            "the instance holding this key ("
                + owner.get()
                + ") is not ready: "
                + a.why()
                + "; retry");
      } else {
        PeerReads.copy(ctx, a.response());
      }
      return;
    }
    Optional<BatchView> live = c.backend().ledger().liveRecord(fingerprint, clock.instant());
    if (live.isEmpty()) {
      Responses.error(
          ctx,
          404,
          "idempotency_key_not_found",
          "no replay record for Idempotency-Key '" + key + "' of this API key");
      return;
    }
    ctx.status(200).contentType(ApiHeaders.JSON).result(Json.write(KeyView.of(key, live.get())));
  }

  void getBatch(Context ctx) throws InterruptedException {
    Access.Caller c = access.caller(ctx);
    if (c == null) {
      return;
    }
    String id = ctx.pathParam("id");
    Optional<BatchView> batch =
        c.backend().ledger().batch(id).filter(v -> v.principal().equals(c.principal()));
    if (batch.isPresent()) {
      BatchView v = batch.get();
      ctx.status(200);
      ctx.header(ApiHeaders.REQUEST_ID, v.requestId());
      if (v.idempotencyKey() != null) {
        ctx.header(ApiHeaders.IDEMPOTENCY_KEY, v.idempotencyKey());
      }
      ctx.header(ApiHeaders.KEY_EXPIRES, Rfc3339.format(v.expiresAt()));
      ctx.contentType(ApiHeaders.JSON).result(v.envelope().toByteArray());
      return;
    }
    if (!PeerReads.forwarded(ctx) && peers.scatter(ctx, c.backend(), null)) {
      return;
    }
    Responses.error(
        ctx, 404, "batch_not_found", "no batch '" + Limits.echo(id) + "' for this API key");
  }

  /**
   * What became of a request: the ledger's index here, else an answer this instance gave without
   * the ledger (the replay fast path), else the other instances' indexes, else the {@code 202} this
   * instance answered while the ledger has not decided it yet.
   */
  void getRequest(Context ctx) throws InterruptedException {
    Access.Caller c = access.caller(ctx);
    if (c == null) {
      return;
    }
    String id = ctx.pathParam("id");
    Optional<String> problem = requestIdProblem(id);
    if (problem.isPresent()) {
      Responses.error(ctx, 400, "invalid_request_id", problem.get());
      return;
    }
    Gateway.Backend b = c.backend();
    String principal = c.principal();
    Optional<RequestView> request =
        b.ledger().request(id).filter(v -> v.principal().equals(principal));
    if (request.isPresent()) {
      RequestView r = request.get();
      if (r.pending()) {
        Responses.pendingRead(ctx, id, r.idempotencyKey(), r.batchId());
      } else {
        Responses.answer(
            ctx,
            new Answer(
                id,
                r.status(),
                r.replayed(),
                r.idempotencyKey(),
                r.batchId(),
                r.keyExpires() == null ? null : Rfc3339.format(r.keyExpires()),
                r.body().toByteArray()),
            r.idempotencyKey());
      }
      return;
    }
    Optional<RecentRequests.Entry> mine = recent.get(id, principal);
    if (mine.isPresent() && !mine.get().pending()) {
      RecentRequests.Entry e = mine.get();
      Optional<Answer> replayed = FastPath.reread(b, e, clock.instant());
      if (replayed.isPresent()) {
        Responses.answer(ctx, replayed.get(), e.idempotencyKey());
      } else {
        Responses.error(
            ctx,
            404,
            "request_not_found",
            "request '"
                + id
                + "' replayed batch '"
                + e.batchId()
                + "', whose replay record is no longer on this instance (expired or moved):"
                + " read GET /v1/batches/"
                + e.batchId());
      }
      return;
    }
    Runnable fallback =
        mine.<Runnable>map(e -> () -> Responses.pendingRead(ctx, id, e.idempotencyKey(), null))
            .orElse(null);
    if (PeerReads.forwarded(ctx)) {
      if (fallback != null) {
        fallback.run();
        return;
      }
    } else if (peers.scatter(ctx, b, fallback)) {
      return;
    }
    Responses.error(
        ctx, 404, "request_not_found", "no request '" + Limits.echo(id) + "' for this API key");
  }

  /**
   * Why {@code id} cannot be a request id: longer than {@link Limits#MAX_REQUEST_ID_CHARS} or
   * holding a character outside printable ASCII.
   */
  static Optional<String> requestIdProblem(String id) {
    if (id.length() > Limits.MAX_REQUEST_ID_CHARS) {
      return Optional.of(
          "a request id is at most "
              + Limits.MAX_REQUEST_ID_CHARS
              + " characters, got "
              + id.length()
              + ": '"
              + Limits.echo(id)
              + "'");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return Optional.of(
            String.format(
                "a request id is printable ASCII; character %d of '%s' is U+%04X",
                i + 1, Limits.echo(id), (int) c));
      }
    }
    return Optional.empty();
  }
}

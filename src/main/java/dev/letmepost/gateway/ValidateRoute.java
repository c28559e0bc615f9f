package dev.letmepost.gateway;

import dev.letmepost.http.ApiHeaders;
import dev.letmepost.ledger.DryRun;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Clock;

/**
 * {@code POST /v1/posts/validate}, the dry run of a post: the {@link WritePipeline}'s checks of
 * {@code POST /v1/posts} (but an {@code Idempotency-Key} is never required), the ledger on this
 * instance running, then the ledger's verdict ({@link LedgerView#validate}) on the body as it
 * stands now. Nothing is produced, recorded, awaited or looked up by key: a key, if sent, is only
 * checked.
 */
final class ValidateRoute {
  private final Clock clock;
  private final Access access;
  private final WritePipeline pipeline;
  private final WritePipeline.Rules rules;

  ValidateRoute(Clock clock, Access access, WritePipeline pipeline) {
    this.clock = clock;
    this.access = access;
    this.pipeline = pipeline;
    this.rules = pipeline.dryRun(WritePipeline.Json.ALWAYS);
  }

  void handle(Context ctx) throws IOException {
    WritePipeline.Write w = pipeline.admit(ctx, rules, this::ledgerRunning);
    if (w == null) {
      return;
    }
    DryRun.Verdict v =
        w.caller().backend().ledger().validate(w.principal(), w.body(), clock.instant());
    ctx.status(v.status()).contentType(ApiHeaders.JSON).result(v.body().toByteArray());
  }

  /** Whether the ledger on this instance runs; answers {@code 503} when it does not. */
  private boolean ledgerRunning(Context ctx) {
    if (access.get().ledger().running()) {
      return true;
    }
    Responses.unavailable(ctx, "the ledger on this instance is not running; retry");
    return false;
  }
}

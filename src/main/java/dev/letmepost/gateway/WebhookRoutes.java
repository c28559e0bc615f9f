package dev.letmepost.gateway;

import dev.letmepost.http.ApiHeaders;
import dev.letmepost.webhook.DeliveryAttempt;
import dev.letmepost.webhook.EndpointView;
import dev.letmepost.webhook.WebhookEndpoint;
import dev.letmepost.webhook.WebhookException;
import dev.letmepost.webhook.WebhookStore;
import dev.letmepost.wire.Json;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The webhook endpoint routes: {@code POST /v1/webhook-endpoints} ({@code 201} with the secret,
 * shown once), {@code GET /v1/webhook-endpoints}, {@code GET} and {@code DELETE
 * /v1/webhook-endpoints/{id}}, {@code GET /v1/webhook-endpoints/{id}/deliveries}. Only the
 * endpoint's own principal sees it; another's reads as {@code 404}. Until a {@link WebhookStore} is
 * attached (no signing key on this instance) they answer {@code 503 webhooks_unavailable}.
 */
final class WebhookRoutes {
  /** The largest creation body accepted. */
  static final int MAX_BODY_BYTES = 16 * 1024;

  private record ListBody<T>(String object, List<T> data) {}

  private record Deleted(String id, String object, boolean deleted) {}

  /** A creation: no {@code Idempotency-Key} (not a ledger command), always JSON. */
  private static final WritePipeline.Rules CREATE =
      new WritePipeline.Rules(WritePipeline.Key.NONE, WritePipeline.Json.ALWAYS, MAX_BODY_BYTES);

  private final Access access;
  private final WritePipeline pipeline;
  private final AtomicReference<WebhookStore> store = new AtomicReference<>();

  WebhookRoutes(Access access, WritePipeline pipeline) {
    this.access = access;
    this.pipeline = pipeline;
  }

  void register(RoutesConfig routes) {
    routes.post("/v1/webhook-endpoints", this::create);
    routes.get("/v1/webhook-endpoints", this::list);
    routes.get("/v1/webhook-endpoints/{id}", this::get);
    routes.delete("/v1/webhook-endpoints/{id}", this::delete);
    routes.get("/v1/webhook-endpoints/{id}/deliveries", this::deliveries);
  }

  void attach(WebhookStore s) {
    store.set(s);
  }

  /** The caller's principal with the store, or null once answered (503, 401). */
  private StoreCaller caller(Context ctx) {
    Access.Caller c = access.caller(ctx);
    if (c == null) {
      return null;
    }
    WebhookStore s = available(ctx);
    return s == null ? null : new StoreCaller(c.principal(), s);
  }

  /**
   * The store, or null after answering {@code 503 webhooks_unavailable}: none is attached (no
   * signing key on this instance), or its endpoints are still loading.
   */
  private WebhookStore available(Context ctx) {
    WebhookStore s = store.get();
    if (s == null) {
      Responses.error(
          ctx,
          503,
          "webhooks_unavailable",
          "webhooks are not configured on this instance: start it with"
              + " --webhook-signing-key-file");
      return null;
    }
    if (!s.ready()) {
      ctx.header(ApiHeaders.RETRY_AFTER, "1");
      Responses.error(ctx, 503, "webhooks_unavailable", "the webhook endpoints are still loading");
      return null;
    }
    return s;
  }

  private record StoreCaller(String principal, WebhookStore store) {}

  /** {@code POST /v1/webhook-endpoints}: the {@link WritePipeline}'s checks, then the store. */
  void create(Context ctx) throws IOException {
    WritePipeline.Write w = pipeline.admit(ctx, CREATE, c -> available(c) != null);
    if (w == null) {
      return;
    }
    try {
      WebhookStore.Request r = WebhookStore.parse(w.body());
      WebhookStore.Created created = store.get().create(w.principal(), r.url(), r.events());
      ctx.status(201)
          .contentType(ApiHeaders.JSON)
          .result(Json.write(EndpointView.of(created.endpoint(), created.secret())));
    } catch (WebhookException e) {
      refused(ctx, e);
    }
  }

  void list(Context ctx) {
    StoreCaller c = caller(ctx);
    if (c == null) {
      return;
    }
    List<EndpointView> views =
        c.store().list(c.principal()).stream().map(e -> EndpointView.of(e, null)).toList();
    ctx.status(200).contentType(ApiHeaders.JSON).result(Json.write(new ListBody<>("list", views)));
  }

  void get(Context ctx) {
    StoreCaller c = caller(ctx);
    if (c == null) {
      return;
    }
    Optional<WebhookEndpoint> e = c.store().get(c.principal(), ctx.pathParam("id"));
    if (e.isEmpty()) {
      notFound(ctx);
      return;
    }
    ctx.status(200).contentType(ApiHeaders.JSON).result(Json.write(EndpointView.of(e.get(), null)));
  }

  void delete(Context ctx) {
    StoreCaller c = caller(ctx);
    if (c == null) {
      return;
    }
    String id = ctx.pathParam("id");
    try {
      if (!c.store().delete(c.principal(), id)) {
        notFound(ctx);
        return;
      }
    } catch (WebhookException e) {
      refused(ctx, e);
      return;
    }
    ctx.status(200)
        .contentType(ApiHeaders.JSON)
        .result(Json.write(new Deleted(id, "webhook_endpoint", true)));
  }

  void deliveries(Context ctx) {
    StoreCaller c = caller(ctx);
    if (c == null) {
      return;
    }
    Optional<List<DeliveryAttempt>> d = c.store().deliveries(c.principal(), ctx.pathParam("id"));
    if (d.isEmpty()) {
      notFound(ctx);
      return;
    }
    ctx.status(200)
        .contentType(ApiHeaders.JSON)
        .result(Json.write(new ListBody<>("list", d.get())));
  }

  private static void refused(Context ctx, WebhookException e) {
    if (e.status() == 503) {
      ctx.header(ApiHeaders.RETRY_AFTER, "1");
    }
    Responses.error(ctx, e.status(), e.code(), e.getMessage());
  }

  private static void notFound(Context ctx) {
    String id = ctx.pathParam("id");
    Responses.error(
        ctx,
        404,
        "webhook_endpoint_not_found",
        "no webhook endpoint '" + dev.letmepost.command.Limits.echo(id) + "' for this API key");
  }
}

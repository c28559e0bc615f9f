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
import java.io.InputStream;
import java.util.Collections;
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

  private final Access access;
  private final AtomicReference<WebhookStore> store = new AtomicReference<>();

  WebhookRoutes(Access access) {
    this.access = access;
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
  private Caller caller(Context ctx) {
    Gateway.Backend b = access.backend(ctx);
    String principal = b == null ? null : access.authenticate(ctx, b);
    if (principal == null) {
      return null;
    }
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
    return new Caller(principal, s);
  }

  private record Caller(String principal, WebhookStore store) {}

  void create(Context ctx) throws IOException {
    Caller c = caller(ctx);
    if (c == null) {
      return;
    }
    List<String> types = Collections.list(ctx.req().getHeaders(ApiHeaders.CONTENT_TYPE));
    if (types.size() != 1 || !PostRoute.isJson(types.get(0))) {
      Responses.error(
          ctx,
          415,
          "unsupported_media_type",
          "Content-Type must be application/json, sent once; got "
              + (types.isEmpty() ? "none" : "'" + String.join(", ", types) + "'"));
      return;
    }
    byte[] body;
    try (InputStream in = ctx.req().getInputStream()) {
      body = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (body.length > MAX_BODY_BYTES) {
      Responses.error(
          ctx,
          413,
          "body_too_large",
          "the request body is larger than the limit of " + MAX_BODY_BYTES + " bytes");
      return;
    }
    try {
      WebhookStore.Request r = WebhookStore.parse(body);
      WebhookStore.Created created = c.store().create(c.principal(), r.url(), r.events());
      ctx.status(201)
          .contentType(ApiHeaders.JSON)
          .result(Json.write(EndpointView.of(created.endpoint(), created.secret())));
    } catch (WebhookException e) {
      refused(ctx, e);
    }
  }

  void list(Context ctx) {
    Caller c = caller(ctx);
    if (c == null) {
      return;
    }
    List<EndpointView> views =
        c.store().list(c.principal()).stream().map(e -> EndpointView.of(e, null)).toList();
    ctx.status(200).contentType(ApiHeaders.JSON).result(Json.write(new ListBody<>("list", views)));
  }

  void get(Context ctx) {
    Caller c = caller(ctx);
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
    Caller c = caller(ctx);
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
    Caller c = caller(ctx);
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

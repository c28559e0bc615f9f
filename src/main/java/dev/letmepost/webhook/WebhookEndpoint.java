package dev.letmepost.webhook;

import dev.letmepost.wire.Json;
import java.util.List;
import java.util.Objects;

/**
 * One webhook endpoint, the value of the compacted {@code lmp.webhook-endpoints} topic (key: its
 * id). It never holds the signing secret: that is derived from the server key and the id ({@link
 * SigningKey}).
 *
 * @param createdAt RFC 3339; the endpoint receives the events whose record time is at or after it
 * @param disabledReason the dispatcher's reason, set together with {@code disabledAt}
 */
public record WebhookEndpoint(
    String id,
    String principal,
    String url,
    List<String> events,
    Status status,
    String createdAt,
    long createdAtMillis,
    String disabledReason,
    String disabledAt) {

  /** {@code enabled}: receives deliveries; {@code disabled}: by the dispatcher, after failures. */
  public enum Status {
    enabled,
    disabled
  }

  public WebhookEndpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    events = List.copyOf(events);
  }

  /** Whether it is enabled and subscribed to {@code type}. */
  public boolean wants(String type) {
    return status == Status.enabled && events.contains(type);
  }

  /** This endpoint disabled by the dispatcher at {@code at} (RFC 3339) for {@code reason}. */
  public WebhookEndpoint disabled(String reason, String at) {
    return new WebhookEndpoint(
        id, principal, url, events, Status.disabled, createdAt, createdAtMillis, reason, at);
  }

  public byte[] toJson() {
    return Json.write(this);
  }

  public static WebhookEndpoint fromJson(byte[] bytes) {
    return Json.read(bytes, WebhookEndpoint.class);
  }
}

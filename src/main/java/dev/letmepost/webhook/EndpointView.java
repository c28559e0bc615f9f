package dev.letmepost.webhook;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An endpoint as the API shows it: {@code secret} only in the answer to its creation; {@code
 * disabledReason} and {@code disabledAt} only when disabled.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EndpointView(
    String id,
    String object,
    String url,
    List<String> events,
    String status,
    String createdAt,
    String disabledReason,
    String disabledAt,
    String secret) {

  public static EndpointView of(WebhookEndpoint e, String secret) {
    return new EndpointView(
        e.id(),
        "webhook_endpoint",
        e.url(),
        e.events(),
        e.status().name(),
        e.createdAt(),
        e.disabledReason(),
        e.disabledAt(),
        secret);
  }
}

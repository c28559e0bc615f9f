package dev.letmepost.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PostEvent;
import java.nio.charset.StandardCharsets;

/**
 * The body of a delivery, {@code {"id","type","createdAt","data"}}: a {@link PostEvent} without
 * principal and batch id.
 */
public record WebhookBody(String id, String type, String createdAt, JsonNode data) {
  public static String of(PostEvent e) {
    return new String(
        Json.write(new WebhookBody(e.id(), e.type(), e.createdAt(), e.data())),
        StandardCharsets.UTF_8);
  }
}

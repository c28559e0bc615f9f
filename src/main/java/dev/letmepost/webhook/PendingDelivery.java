package dev.letmepost.webhook;

import dev.letmepost.wire.Json;
import java.util.Objects;

/**
 * One delivery still owed, the value of the compacted {@code lmp.webhook-pending} topic (key {@link
 * #key()}): written in the same transaction as the events offset it came from, rewritten after each
 * failed attempt, and deleted (null) once delivered or given up.
 *
 * @param body the exact webhook body, {@code {"id","type","createdAt","data"}}
 * @param attempts attempts made so far
 * @param firstDueAt epoch ms of the first attempt's due time: retries stop 24 h after it
 * @param nextAttemptAt epoch ms the next attempt is due
 */
public record PendingDelivery(
    String endpointId,
    String eventId,
    String eventType,
    String body,
    int attempts,
    long firstDueAt,
    long nextAttemptAt) {
  public PendingDelivery {
    Objects.requireNonNull(endpointId, "endpointId");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(body, "body");
  }

  public String key() {
    return key(endpointId, eventId);
  }

  public static String key(String endpointId, String eventId) {
    return endpointId + "/" + eventId;
  }

  /** The next attempt due at {@code at}, after one more failure. */
  public PendingDelivery retryAt(long at) {
    return new PendingDelivery(endpointId, eventId, eventType, body, attempts + 1, firstDueAt, at);
  }

  public byte[] toJson() {
    return Json.write(this);
  }

  public static PendingDelivery fromJson(byte[] bytes) {
    return Json.read(bytes, PendingDelivery.class);
  }
}

package dev.letmepost.webhook;

import dev.letmepost.wire.Json;
import java.util.Objects;

/**
 * One delivery attempt, the value of {@code lmp.webhook-deliveries} (key endpoint id) and an item
 * of {@code GET /v1/webhook-endpoints/{id}/deliveries}.
 *
 * @param attempt 1 for the first attempt of this event at this endpoint
 * @param result {@code succeeded}; {@code retrying} (failed, {@code nextAttemptAt} says when the
 *     next one is due); {@code failed} (failed, no more attempts: 24 h passed, or the endpoint was
 *     disabled or deleted)
 * @param httpStatus the receiver's status, absent when there was no answer
 * @param latencyMs from connecting to the status line, or to the failure
 * @param error what went wrong, absent on success
 */
public record DeliveryAttempt(
    String endpointId,
    String eventId,
    String eventType,
    int attempt,
    String attemptedAt,
    String result,
    Integer httpStatus,
    long latencyMs,
    String error,
    String nextAttemptAt) {
  public static final String SUCCEEDED = "succeeded";
  public static final String RETRYING = "retrying";
  public static final String FAILED = "failed";

  public DeliveryAttempt {
    Objects.requireNonNull(endpointId, "endpointId");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(result, "result");
  }

  public byte[] toJson() {
    return Json.write(this);
  }

  public static DeliveryAttempt fromJson(byte[] bytes) {
    return Json.read(bytes, DeliveryAttempt.class);
  }
}

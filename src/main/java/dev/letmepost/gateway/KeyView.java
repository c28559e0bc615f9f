package dev.letmepost.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.ledger.BatchView;
import dev.letmepost.wire.LmpHeaders;
import java.util.Objects;

/**
 * The body of {@code GET /v1/idempotency-keys/{key}}: the caller's replay record for that key, the
 * batch as it stands ({@code batch}, the envelope) and the status a retry would be answered with.
 *
 * @param state {@code in_progress} until the request is answered, then {@code completed}
 * @param responseStatus the recorded answer's status, absent while in progress
 */
@JsonPropertyOrder({
  "object",
  "key",
  "method",
  "path",
  "state",
  "requestId",
  "bodySha256",
  "createdAt",
  "expiresAt",
  "responseStatus",
  "batch"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
record KeyView(
    String object,
    String key,
    String method,
    String path,
    String state,
    String requestId,
    String bodySha256,
    String createdAt,
    String expiresAt,
    Integer responseStatus,
    @JsonRawValue String batch) {
  KeyView {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(batch, "batch");
  }

  static KeyView of(String key, BatchView v) {
    return new KeyView(
        "idempotency_key",
        key,
        LmpHeaders.DEFAULT_METHOD,
        LmpHeaders.DEFAULT_PATH,
        v.answered() ? "completed" : "in_progress",
        v.requestId(),
        v.bodySha256(),
        Rfc3339.format(v.createdAt()),
        Rfc3339.format(v.expiresAt()),
        v.responseStatus(),
        v.envelope().toUtf8String());
  }
}

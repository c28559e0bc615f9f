package dev.letmepost.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.letmepost.wire.TargetError;
import java.util.List;

/**
 * The batch envelope (docs/contract.md#the-batch-envelope), the body of a batch answer: rendered
 * once by the ledger and re-sent byte for byte on every replay, so its property order and inclusion
 * are the contract. Times are {@link Rfc3339}. {@code canceledAt}, {@code retryOf} and {@code
 * retries} (batch actions) are null, so absent, on every batch that no action touched: its bytes
 * are what they were before the actions existed.
 */
@JsonPropertyOrder({
  "id",
  "object",
  "status",
  "createdAt",
  "scheduledAt",
  "completedAt",
  "canceledAt",
  "retryOf",
  "retries",
  "results"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Envelope(
    String id,
    String object,
    String status,
    String createdAt,
    String scheduledAt,
    String completedAt,
    String canceledAt,
    String retryOf,
    List<String> retries,
    List<Result> results) {

  /** One target's result in the envelope. */
  @JsonPropertyOrder({"accountId", "platform", "status", "postId", "uri", "error"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Result(
      String accountId,
      String platform,
      String status,
      String postId,
      String uri,
      TargetError error) {}
}

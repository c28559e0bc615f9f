package dev.letmepost.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.letmepost.wire.Json;
import java.util.Objects;

/**
 * The body of a {@code 202} for a request whose answer is not known yet: {@code
 * {"object":"request","id","status":"pending","batchId"}}, {@code batchId} left out while there is
 * none.
 */
@JsonPropertyOrder({"object", "id", "status", "batchId"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PendingRequest(String object, String id, String status, String batchId) {
  public PendingRequest {
    Objects.requireNonNull(id, "id");
  }

  /** The bytes of the pending body of {@code requestId}; {@code batchId} null when none. */
  public static byte[] of(String requestId, String batchId) {
    return Json.write(new PendingRequest("request", requestId, "pending", batchId));
  }
}

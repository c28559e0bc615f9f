package dev.letmepost.gateway;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.letmepost.wire.Json;
import java.util.Objects;

/**
 * The gateway's own error body, {@code {"error":{"code","message"}}}, the shape of the ledger's own
 * errors.
 */
record ErrorBody(Error error) {
  @JsonPropertyOrder({"code", "message"})
  record Error(String code, String message) {
    Error {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }
  }

  static byte[] of(String code, String message) {
    return Json.write(new ErrorBody(new Error(code, message)));
  }
}

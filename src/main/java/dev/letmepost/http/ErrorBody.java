package dev.letmepost.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.letmepost.command.FieldError;
import dev.letmepost.wire.Json;
import java.util.List;
import java.util.Objects;

/**
 * The one error body of the API, {@code {"error":{"code","message","errors"}}}: the ledger's
 * answers and the gateway's own errors alike. {@code errors} (the preflight's field errors) is left
 * out when null.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ErrorBody(Error error) {
  @JsonPropertyOrder({"code", "message", "errors"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Error(String code, String message, List<FieldError> errors) {
    public Error {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }
  }

  public ErrorBody {
    Objects.requireNonNull(error, "error");
  }

  /** The bytes of an error without field errors. */
  public static byte[] of(String code, String message) {
    return of(code, message, null);
  }

  /** The bytes of an error; {@code errors} null when there are none. */
  public static byte[] of(String code, String message, List<FieldError> errors) {
    return Json.write(new ErrorBody(new Error(code, message, errors)));
  }
}

package dev.letmepost.client;

import java.util.List;

/**
 * The error body of the API, {@code {"error":{"code","message","errors"}}}, read with {@link
 * #parse}: every error the ledger answers and the gateway's own.
 *
 * @param errors the preflight's field errors ({@code preflight_failed}), else empty
 */
public record ApiError(String code, String message, List<FieldError> errors) {
  public ApiError {
    errors = errors == null ? List.of() : List.copyOf(errors);
  }

  /** One problem of a request body: the field (a JSON path, empty for the body) and why. */
  public record FieldError(String field, String code, String message) {}

  /** The body's outer object. */
  private record Body(ApiError error) {}

  /**
   * Reads an error body.
   *
   * @throws IllegalArgumentException when {@code json} is not one
   */
  public static ApiError parse(byte[] json) {
    ApiError error = ClientJson.read(json, Body.class).error();
    if (error == null || error.code() == null) {
      throw new IllegalArgumentException("not an error body: it has no error.code");
    }
    return error;
  }
}

package dev.letmepost.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.letmepost.wire.TargetError;
import java.util.List;
import java.util.Objects;

/**
 * The verdict of a dry run ({@code POST /v1/posts/validate}), the body of its {@code 200}: for each
 * target of the body, in request order, the account and platform it resolves to and, when a {@code
 * POST /v1/posts} of the same body would refuse it, the error that target's result would carry in
 * the batch envelope. {@code valid} is true when no target would be refused.
 */
@JsonPropertyOrder({"object", "valid", "results"})
public record Validation(String object, boolean valid, List<Result> results) {
  public Validation {
    Objects.requireNonNull(object, "object");
    results = List.copyOf(results);
  }

  /** The verdict on the targets {@code results}: valid when none carries an error. */
  public static Validation of(List<Result> results) {
    return new Validation("validation", results.stream().allMatch(Result::valid), results);
  }

  /**
   * One target's verdict: {@code accountId} null when no account of the platform resolved, {@code
   * platform} null when the account was not found, {@code error} null when the target is valid.
   */
  @JsonPropertyOrder({"accountId", "platform", "valid", "error"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Result(String accountId, String platform, boolean valid, TargetError error) {
    public Result {
      if (valid != (error == null)) {
        throw new IllegalArgumentException(
            "a target is valid exactly when it has no error, got valid=" + valid + ", " + error);
      }
    }
  }
}

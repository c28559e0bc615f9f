package dev.letmepost.wire;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Why one target did not publish: a stable machine code, a message naming the offending value, and,
 * for platform failures, whether a later retry could succeed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TargetError(String code, String message, Boolean retryable) {
  public TargetError {
    Account.requireText(code, "code");
    Account.requireText(message, "message");
  }
}

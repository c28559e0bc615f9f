package dev.letmepost.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * The value of one {@code lmp.api-keys} record (its key is the SHA-256 of the API key): the
 * principal the key acts for, whether it is active, and when it was created.
 *
 * @param createdAt RFC 3339
 * @param revokedAt RFC 3339, only for a revoked key
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiKeyRecord(String principal, Status status, String createdAt, String revokedAt) {
  /** Whether the key authenticates. */
  public enum Status {
    active,
    revoked
  }

  public ApiKeyRecord {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(createdAt, "createdAt");
    if (principal.isBlank() || principal.length() > 200) {
      throw new IllegalArgumentException(
          "principal must be 1-200 non-blank characters, got '" + principal + "'");
    }
    time(createdAt, "createdAt");
    if (revokedAt != null) {
      time(revokedAt, "revokedAt");
    }
  }

  public static ApiKeyRecord active(String principal, Instant createdAt) {
    return new ApiKeyRecord(principal, Status.active, createdAt.toString(), null);
  }

  public ApiKeyRecord revoked(Instant at) {
    return new ApiKeyRecord(principal, Status.revoked, createdAt, at.toString());
  }

  private static void time(String value, String field) {
    try {
      Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          field + " must be an RFC 3339 UTC time, got '" + value + "'", e);
    }
  }
}

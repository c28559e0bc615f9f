package dev.letmepost.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * The value of one {@code lmp.api-keys} record (its key is the SHA-256 of the API key): the
 * principal the key acts for, whether it is active, when it was created, and whether its writes
 * must carry an {@code Idempotency-Key}.
 *
 * @param createdAt RFC 3339
 * @param revokedAt RFC 3339, only for a revoked key
 * @param idempotencyKeyRequired true when a write without an {@code Idempotency-Key} is refused
 *     ({@code 400 idempotency_key_required}); absent (null) otherwise, as in records written before
 *     the flag existed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiKeyRecord(
    String principal,
    Status status,
    String createdAt,
    String revokedAt,
    Boolean idempotencyKeyRequired) {
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

  /** A key record whose writes need no {@code Idempotency-Key}. */
  public ApiKeyRecord(String principal, Status status, String createdAt, String revokedAt) {
    this(principal, status, createdAt, revokedAt, null);
  }

  public static ApiKeyRecord active(String principal, Instant createdAt) {
    return new ApiKeyRecord(principal, Status.active, createdAt.toString(), null);
  }

  public ApiKeyRecord revoked(Instant at) {
    return new ApiKeyRecord(
        principal, Status.revoked, createdAt, at.toString(), idempotencyKeyRequired);
  }

  /** This record, its writes refused without an {@code Idempotency-Key}. */
  public ApiKeyRecord requiringIdempotencyKey() {
    return new ApiKeyRecord(principal, status, createdAt, revokedAt, Boolean.TRUE);
  }

  /** Whether a write without an {@code Idempotency-Key} is refused. */
  public boolean requiresIdempotencyKey() {
    return Boolean.TRUE.equals(idempotencyKeyRequired);
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

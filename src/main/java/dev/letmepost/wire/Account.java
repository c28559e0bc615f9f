package dev.letmepost.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * A social account a principal may publish to: the value of the compacted accounts topic, keyed by
 * {@link #accountId()}.
 *
 * @param credentials the name of an environment variable or file holding the secret, never the
 *     secret itself
 * @param isDefault whether this is the principal's default account on its platform (the one a
 *     {@code {"platform": ...}} target means); without one, the smallest account id is the default
 * @param endpoint the base URL of the platform's API for this account (a Mastodon instance, a
 *     Bluesky PDS), or null for the platform's public API
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Account(
    String accountId,
    String principal,
    String platform,
    String handle,
    Status status,
    String credentials,
    boolean isDefault,
    String endpoint) {

  /** Whether the platform connection is usable. */
  public enum Status {
    connected,
    disconnected
  }

  public Account {
    requireText(accountId, "accountId");
    requireText(principal, "principal");
    requireText(platform, "platform");
    if (Platform.byName(platform).isEmpty()) {
      throw new IllegalArgumentException("unknown platform '" + platform + "'");
    }
    platform = Platform.byName(platform).orElseThrow().wireName();
    status = Objects.requireNonNullElse(status, Status.connected);
    if (endpoint != null && !endpoint.matches("https?://[^\\s]+")) {
      throw new IllegalArgumentException("endpoint must be an http(s) URL, got '" + endpoint + "'");
    }
  }

  /** An account on the platform's public API ({@code endpoint} null). */
  public Account(
      String accountId,
      String principal,
      String platform,
      String handle,
      Status status,
      String credentials,
      boolean isDefault) {
    this(accountId, principal, platform, handle, status, credentials, isDefault, null);
  }

  public Platform platformEnum() {
    return Platform.byName(platform).orElseThrow();
  }

  static void requireText(String value, String field) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          field + " must be a non-empty string, got '" + value + "'");
    }
  }
}

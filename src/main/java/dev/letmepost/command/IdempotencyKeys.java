package dev.letmepost.command;

import java.util.Optional;

/**
 * The format rule of an {@code Idempotency-Key} as the server applies it: the rule's home is {@link
 * dev.letmepost.client.IdempotencyKeys}.
 */
public final class IdempotencyKeys {
  private IdempotencyKeys() {}

  /** Why {@code key} is not a valid idempotency key, or empty when it is. */
  public static Optional<String> problem(String key) {
    return dev.letmepost.client.IdempotencyKeys.problem(key);
  }

  /**
   * The key an {@code Idempotency-Key} header value names (an sf-string or the bare key), or why it
   * names none.
   */
  public static dev.letmepost.client.IdempotencyKeys.HeaderKey parseHeader(String value) {
    return dev.letmepost.client.IdempotencyKeys.parseHeader(value);
  }
}

package dev.letmepost.command;

import java.util.Optional;

/** The format rule of an {@code Idempotency-Key}: 1 to 128 printable ASCII characters. */
public final class IdempotencyKeys {
  public static final int MAX_LENGTH = 128;

  private IdempotencyKeys() {}

  /** Why {@code key} is not a valid idempotency key, or empty when it is. */
  public static Optional<String> problem(String key) {
    if (key.isEmpty()) {
      return Optional.of("Idempotency-Key must not be empty");
    }
    if (key.length() > MAX_LENGTH) {
      return Optional.of(
          "Idempotency-Key must be at most " + MAX_LENGTH + " characters, got " + key.length());
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return Optional.of(
            String.format(
                "Idempotency-Key must be printable ASCII; character %d is U+%04X", i, (int) c));
      }
    }
    return Optional.empty();
  }
}

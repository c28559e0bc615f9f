package dev.letmepost.publish;

import java.util.Objects;

/**
 * A credential's value, resolved from its reference at the moment of use. Its {@link #toString()}
 * never shows the value, so that a secret printed by mistake (a log line, an exception message, a
 * record's toString) shows only its reference.
 */
public final class Secret {
  private final String reference;
  private final String value;

  public Secret(String reference, String value) {
    this.reference = Objects.requireNonNull(reference, "reference");
    this.value = Objects.requireNonNull(value, "value");
  }

  /** The secret itself: put it in a request, never in a message. */
  public String reveal() {
    return value;
  }

  /** Where the secret came from, e.g. {@code env:MASTODON_TOKEN}: safe to print. */
  public String reference() {
    return reference;
  }

  @Override
  public String toString() {
    return "Secret[" + reference + "]";
  }
}

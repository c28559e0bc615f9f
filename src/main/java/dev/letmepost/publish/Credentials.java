package dev.letmepost.publish;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * Resolves an account's credentials reference to its {@link Secret} at the moment of use. A
 * reference is {@code env:NAME} (an environment variable) or {@code file:PATH} (a file whose
 * content, trimmed, is the secret): secrets live with the worker that uses them, never in a topic.
 */
public final class Credentials {
  /*
   * Messages. Every message this class produces names the reference, never a value: a reference
   * that is not of the two forms may itself be a secret pasted by mistake, so it is not echoed
   * either (only its length).
   */

  private final Function<String, String> environment;

  /** Credentials read from {@code environment} (e.g. {@code System::getenv}) and files. */
  public Credentials(Function<String, String> environment) {
    this.environment = Objects.requireNonNull(environment, "environment");
  }

  /** Credentials from the process environment and the file system. */
  public static Credentials fromEnvironment() {
    return new Credentials(System::getenv);
  }

  /** Why a reference could not give a secret; its message names the reference only. */
  public static final class UnavailableException extends Exception {
    UnavailableException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Checks the form of a reference: {@code env:NAME} with NAME a valid variable name, or {@code
   * file:PATH}. Throws {@link IllegalArgumentException} naming the reference when it is an env or
   * file reference, and only describing it otherwise (it may be a pasted secret).
   */
  public static void checkReference(String reference) {
    if (reference == null || reference.isBlank()) {
      throw new IllegalArgumentException(
          "credentials must be env:NAME or file:PATH, got an empty value");
    }
    if (reference.startsWith("env:")) {
      if (!reference.substring(4).matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException(
            "credentials '" + reference + "' must name an environment variable: env:[A-Za-z_]\\w*");
      }
      return;
    }
    if (reference.startsWith("file:")) {
      if (reference.length() == 5) {
        throw new IllegalArgumentException("credentials 'file:' must name a file: file:PATH");
      }
      return;
    }
    throw new IllegalArgumentException(
        "credentials must be a reference, env:NAME or file:PATH, not the secret itself; got a"
            + " value of "
            + reference.length()
            + " characters that is neither (not shown, in case it is a secret)");
  }

  /** The secret {@code reference} names. */
  public Secret resolve(String reference) throws UnavailableException {
    try {
      checkReference(reference);
    } catch (IllegalArgumentException e) {
      throw new UnavailableException(e.getMessage());
    }
    String value;
    if (reference.startsWith("env:")) {
      value = environment.apply(reference.substring(4));
      if (value == null || value.isBlank()) {
        throw new UnavailableException(
            "credentials " + reference + " are not set in the publisher's environment");
      }
    } else {
      try {
        value = Files.readString(Path.of(reference.substring(5)), StandardCharsets.UTF_8);
      } catch (InvalidPathException e) {
        throw new UnavailableException(
            "credentials " + reference + " do not name a usable file path (" + e.getReason() + ")");
      } catch (IOException | SecurityException e) {
        throw new UnavailableException(
            "credentials "
                + reference
                + " cannot be read by the publisher ("
                + e.getClass().getSimpleName()
                + ")");
      }
      if (value.isBlank()) {
        throw new UnavailableException("credentials " + reference + " name an empty file");
      }
    }
    return new Secret(reference, value.strip());
  }
}

package dev.letmepost.command;

/** How a record with exact-bytes components shows them: their length, never their content. */
public final class Bytes {
  private Bytes() {}

  /** {@code byte[n]}, or {@code null}. */
  public static String describe(byte[] bytes) {
    return bytes == null ? "null" : "byte[" + bytes.length + "]";
  }
}

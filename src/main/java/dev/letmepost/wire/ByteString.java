package dev.letmepost.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable sequence of bytes: the exact bytes of a request body, a recorded answer or an
 * envelope, as records hold them. Equal by content; its {@link #toString()} shows the length only,
 * never the content, which may be a client's post or a secret.
 *
 * <p>It holds its own copy of the bytes: built by copying ({@link #copyOf}, {@link #readFrom}) and
 * read by copying ({@link #toByteArray()}), or without a copy into a buffer being written ({@link
 * #copyTo}, {@link #writeTo}) or as text ({@link #toUtf8String()}), which is how the codecs that
 * write a record's bytes on every store write move them.
 */
public final class ByteString {
  private final byte[] bytes;

  /** The content hash, computed on first use (0 until then, as {@link String#hashCode()}). */
  private int hash;

  private ByteString(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of {@code bytes}. */
  public static ByteString copyOf(byte[] bytes) {
    return new ByteString(bytes.clone());
  }

  /** A copy of {@code length} bytes of {@code bytes} from {@code offset}. */
  public static ByteString copyOf(byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    return new ByteString(Arrays.copyOfRange(bytes, offset, offset + length));
  }

  /** The next {@code length} bytes of {@code source}, which moves past them. */
  public static ByteString readFrom(ByteBuffer source, int length) {
    byte[] b = new byte[length];
    source.get(b);
    return new ByteString(b);
  }

  /** The number of bytes. */
  public int size() {
    return bytes.length;
  }

  /** A new array holding the bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /** Copies the bytes into {@code target} from {@code offset}. */
  public void copyTo(byte[] target, int offset) {
    System.arraycopy(bytes, 0, target, offset, bytes.length);
  }

  /** Puts the bytes into {@code target} at its position, which moves past them. */
  public void writeTo(ByteBuffer target) {
    target.put(bytes);
  }

  /** The bytes decoded as UTF-8 (malformed input replaced, as {@link String#String(byte[])}). */
  public String toUtf8String() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ByteString o && Arrays.equals(bytes, o.bytes);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = Arrays.hashCode(bytes);
      hash = h;
    }
    return h;
  }

  /** {@code byte[n]}: the length only. */
  @Override
  public String toString() {
    return "byte[" + bytes.length + "]";
  }
}

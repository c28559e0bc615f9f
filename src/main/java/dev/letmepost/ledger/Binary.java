package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The primitives of the ledger's binary store values ({@link ReplayRecordCodec}, {@link
 * RequestEntryCodec}): varint lengths, fixed-width longs, strings that keep unpaired surrogates (as
 * UTF-16 when they have one), byte strings; null as a zero tag.
 */
final class Binary {
  private Binary() {}

  /** The serde of a store value written by {@code write} and read by {@code read}; null as null. */
  static <T> Serde<T> serde(Function<T, byte[]> write, Function<byte[], T> read) {
    return Serdes.serdeFrom(
        (topic, v) -> v == null ? null : write.apply(v),
        (topic, bytes) -> bytes == null ? null : read.apply(bytes));
  }

  /**
   * Reads {@code bytes}, a value whose first byte is {@code format}, with {@code reader}; an empty
   * value, another format byte, a value cut short or with bytes left over, and a field {@code
   * reader} refuses (by an {@link IllegalArgumentException}) each throw {@link
   * SerializationException} "not a {@code what}: " and why.
   */
  static <T> T read(byte[] bytes, byte format, String what, Function<In, T> reader) {
    if (bytes.length == 0) {
      throw new SerializationException("not a " + what + ": an empty value");
    }
    if (bytes[0] != format) {
      throw new SerializationException(
          "not a "
              + what
              + ": unknown format byte 0x"
              + String.format("%02x", bytes[0] & 0xff)
              + " in a value of "
              + bytes.length
              + " bytes");
    }
    In in = new In(bytes, 1);
    T value;
    try {
      value = reader.apply(in);
    } catch (ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new SerializationException(
          "not a " + what + ": truncated at byte " + in.pos + " of " + bytes.length, e);
    } catch (IllegalArgumentException | NullPointerException | ArithmeticException e) {
      throw new SerializationException("not a " + what + ": " + e.getMessage(), e);
    }
    if (in.pos != bytes.length) {
      throw new SerializationException(
          "not a "
              + what
              + ": "
              + (bytes.length - in.pos)
              + " trailing bytes after "
              + in.pos
              + " of "
              + bytes.length);
    }
    return value;
  }

  /** A growing output buffer. */
  static final class Out {
    private byte[] buf;
    private int pos;

    Out(int size) {
      buf = new byte[size];
    }

    private void room(int n) {
      if (pos + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
      }
    }

    void b(int v) {
      room(1);
      buf[pos++] = (byte) v;
    }

    void uint(int v) {
      room(5);
      while ((v & ~0x7f) != 0) {
        buf[pos++] = (byte) ((v & 0x7f) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void i64(long v) {
      room(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        buf[pos++] = (byte) (v >>> shift);
      }
    }

    void optI64(Long v) {
      b(v == null ? 0 : 1);
      if (v != null) {
        i64(v);
      }
    }

    void str(String s) {
      if (s == null) {
        uint(0);
        return;
      }
      if (hasUnpairedSurrogate(s)) {
        // char by char: Java's UTF-16 encoder, like its UTF-8 one, would replace the surrogate
        int n = s.length() * 2;
        uint(((n << 1) | 1) + 1);
        room(n);
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          buf[pos++] = (byte) (c >>> 8);
          buf[pos++] = (byte) c;
        }
        return;
      }
      byte[] data = s.getBytes(StandardCharsets.UTF_8);
      uint((data.length << 1) + 1);
      raw(data);
    }

    void bytes(ByteString data) {
      if (data == null) {
        uint(0);
        return;
      }
      uint(data.size() + 1);
      room(data.size());
      data.copyTo(buf, pos);
      pos += data.size();
    }

    private void raw(byte[] data) {
      room(data.length);
      System.arraycopy(data, 0, buf, pos, data.length);
      pos += data.length;
    }

    byte[] toArray() {
      return pos == buf.length ? buf : Arrays.copyOf(buf, pos);
    }
  }

  private static boolean hasUnpairedSurrogate(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      }
    }
    return false;
  }

  /** A cursor over an input value. */
  static final class In {
    private final byte[] buf;
    private int pos;

    In(byte[] buf, int pos) {
      this.buf = buf;
      this.pos = pos;
    }

    int u8() {
      return buf[pos++] & 0xff;
    }

    int uint() {
      int v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        int b = buf[pos++];
        v |= (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("a varint longer than 5 bytes at byte " + (pos - 5));
    }

    /** A length or count, checked against the bytes left (each element takes at least one). */
    int count() {
      int at = pos;
      int n = uint();
      if (n < 0 || n > buf.length - pos) {
        throw new IllegalArgumentException(
            "a count of " + n + " at byte " + at + " with " + (buf.length - pos) + " bytes left");
      }
      return n;
    }

    long i64() {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (buf[pos++] & 0xff);
      }
      return v;
    }

    Long optI64() {
      return u8() == 0 ? null : i64();
    }

    String str() {
      int at = pos;
      int tag = uint();
      if (tag == 0) {
        return null;
      }
      int len = (tag - 1) >>> 1;
      if (len > buf.length - pos) {
        throw new IllegalArgumentException(
            "a string of "
                + len
                + " bytes at byte "
                + at
                + " with "
                + (buf.length - pos)
                + " left");
      }
      String s;
      if (((tag - 1) & 1) == 1) {
        if ((len & 1) != 0) {
          throw new IllegalArgumentException("an odd UTF-16 length " + len + " at byte " + at);
        }
        char[] chars = new char[len / 2];
        for (int i = 0; i < chars.length; i++) {
          chars[i] = (char) (((buf[pos + 2 * i] & 0xff) << 8) | (buf[pos + 2 * i + 1] & 0xff));
        }
        s = new String(chars);
      } else {
        s = new String(buf, pos, len, StandardCharsets.UTF_8);
      }
      pos += len;
      return s;
    }

    ByteString bytes() {
      int n = uint();
      if (n == 0) {
        return null;
      }
      int len = n - 1;
      if (len > buf.length - pos) {
        throw new IllegalArgumentException(
            "a body of " + len + " bytes with " + (buf.length - pos) + " left");
      }
      ByteString out = ByteString.copyOf(buf, pos, len);
      pos += len;
      return out;
    }
  }
}

package dev.letmepost.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A byte string holds its own copy of the bytes, is equal by content, and shows its length only.
 */
class ByteStringTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void equalByContentWithTheContentsHash() {
    ByteString a = ByteString.copyOf(utf8("{\"a\":1}"));
    ByteString b = ByteString.copyOf(utf8("{\"a\":1}"));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(ByteString.copyOf(utf8("{\"a\":2}")));
    assertThat(ByteString.copyOf(new byte[0])).isEqualTo(ByteString.copyOf(new byte[0]));
  }

  @Test
  void toStringShowsTheLengthNotTheContent() {
    assertThat(ByteString.copyOf(utf8("secret-ish")).toString())
        .isEqualTo("byte[10]")
        .doesNotContain("secret");
  }

  @Test
  void changingTheArraysItCameFromOrGaveOutChangesNothing() {
    byte[] source = utf8("abc");
    ByteString s = ByteString.copyOf(source);
    source[0] = 'x';
    byte[] out = s.toByteArray();
    out[1] = 'y';
    assertThat(s.toUtf8String()).isEqualTo("abc");
  }

  @Test
  void aRangeCopiesThoseBytesOnlyAndMustLieInside() {
    byte[] source = utf8("..abc..");
    assertThat(ByteString.copyOf(source, 2, 3)).isEqualTo(ByteString.copyOf(utf8("abc")));
    assertThatThrownBy(() -> ByteString.copyOf(source, 5, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void writesIntoABufferAtItsPosition() {
    ByteString s = ByteString.copyOf(utf8("abc"));
    byte[] target = utf8("0123456");
    s.copyTo(target, 2);
    assertThat(new String(target, StandardCharsets.UTF_8)).isEqualTo("01abc56");

    ByteBuffer buf = ByteBuffer.allocate(5).put((byte) '<');
    s.writeTo(buf);
    assertThat(buf.position()).isEqualTo(4);
    buf.put((byte) '>');
    assertThat(new String(buf.array(), StandardCharsets.UTF_8)).isEqualTo("<abc>");
  }

  @Test
  void readsTheNextBytesOfABuffer() {
    ByteBuffer buf = ByteBuffer.wrap(utf8("abcdef"));
    buf.get();
    assertThat(ByteString.readFrom(buf, 3).toUtf8String()).isEqualTo("bcd");
    assertThat(buf.position()).isEqualTo(4);
    assertThat(ByteString.readFrom(buf, 2).size()).isEqualTo(2);
  }
}

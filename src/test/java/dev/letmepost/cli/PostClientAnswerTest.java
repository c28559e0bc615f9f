package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ByteString;
import org.junit.jupiter.api.Test;

/** {@link PostClient.Answer} compares its body by content and never prints it. */
class PostClientAnswerTest {
  private static PostClient.Answer answer(byte[] body) {
    return new PostClient.Answer(
        "req-1", 201, false, "K1", "batch_1", "2026-12-02T00:00:00Z", ByteString.copyOf(body));
  }

  @Test
  void answersWithEqualBodiesAreEqual() {
    PostClient.Answer a = answer("{\"a\":1}".getBytes());
    PostClient.Answer b = answer("{\"a\":1}".getBytes());
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(answer("{\"a\":2}".getBytes()));
  }

  @Test
  void toStringShowsTheBodyLengthNotItsContent() {
    assertThat(answer("secret-ish".getBytes()).toString())
        .contains("body=byte[10]")
        .doesNotContain("secret-ish");
  }
}

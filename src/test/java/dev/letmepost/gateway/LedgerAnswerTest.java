package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ByteString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** LedgerAnswer compares its body by content and shows only its length. */
class LedgerAnswerTest {
  private static LedgerAnswer answer(String body) {
    return new LedgerAnswer(
        "req_1",
        201,
        false,
        "K1",
        "batch_1",
        "2026-11-30T12:00:00.000Z",
        ByteString.copyOf(body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void twoAnswersWithEqualBodiesAreEqual() {
    assertThat(answer("{}")).isEqualTo(answer("{}")).hasSameHashCodeAs(answer("{}"));
    assertThat(answer("{}")).isNotEqualTo(answer("[]"));
    assertThat(answer("{\"secret\":1}").toString())
        .contains("body=byte[12]")
        .doesNotContain("secret");
  }
}

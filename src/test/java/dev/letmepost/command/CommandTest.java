package dev.letmepost.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ByteString;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Command compares its body by content and shows only its length. */
class CommandTest {
  private static Command command(String body) {
    return new Command(
        "req_1",
        "key_alice",
        "POST",
        "/v1/posts",
        "K1",
        "fp",
        "sha",
        ByteString.copyOf(body.getBytes(StandardCharsets.UTF_8)),
        null);
  }

  @Test
  void twoCommandsWithEqualBodiesAreEqual() {
    assertThat(command("{}")).isEqualTo(command("{}")).hasSameHashCodeAs(command("{}"));
    assertThat(command("{}")).isNotEqualTo(command("[]"));
    assertThat(command("{\"text\":\"secret\"}").toString())
        .contains("body=byte[17]")
        .doesNotContain("secret");
  }
}

package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Command;
import dev.letmepost.wire.ByteString;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The ledger's records with exact-bytes components ({@link ByteString}) compare those bytes by
 * content and show their length only, as plain records.
 */
class BytesRecordsTest {
  private static ByteString bytes(String s) {
    return ByteString.copyOf(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Two instances built from equal (but distinct) arrays are equal; other bytes are not. */
  private static <T> void equalByContent(Function<String, T> make) {
    T a = make.apply("{\"secret\":1}");
    T b = make.apply("{\"secret\":1}");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(make.apply("{\"secret\":2}"));
    assertThat(a.toString()).contains("byte[12]").doesNotContain("secret");
  }

  @Test
  void ledgerRecord() {
    equalByContent(
        s ->
            new LedgerRecord(
                "batch_1",
                "req_1",
                "key_alice",
                "K1",
                "sha",
                1L,
                1L,
                null,
                2L,
                List.of(),
                null,
                null,
                null,
                201,
                bytes(s),
                3L,
                null,
                null,
                null));
  }

  @Test
  void requestEntry() {
    equalByContent(s -> RequestEntry.answer("key_alice", "K1", 409, bytes(s), 5L));
  }

  @Test
  void batchView() {
    equalByContent(
        s ->
            new BatchView(
                "batch_1",
                "req_1",
                "key_alice",
                "K1",
                "fp",
                "sha",
                Instant.EPOCH,
                Instant.EPOCH.plusSeconds(1),
                "published",
                201,
                bytes(s),
                bytes(s)));
  }

  @Test
  void requestView() {
    equalByContent(
        s ->
            new RequestView(
                "req_1", "key_alice", "K1", 201, true, "batch_1", Instant.EPOCH, bytes(s)));
  }

  @Test
  void emission() {
    equalByContent(s -> new Emission.Reply(bytes(s)));
  }

  @Test
  void parsed() {
    equalByContent(s -> new Parsed.DeadLetter(bytes("k"), bytes(s)));
    equalByContent(
        s ->
            new Parsed.Post(
                new Command(
                    "req_1", "key_alice", "POST", "/v1/posts", "K1", "fp", "sha", bytes(s), null)));
  }
}

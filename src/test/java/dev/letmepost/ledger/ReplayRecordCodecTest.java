package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The replay store's codec on fixed values: what it writes, and bad input. */
class ReplayRecordCodecTest {
  /** A completed one-target record as a superseded JSON serde stored it: no longer read. */
  private static final String STORED_JSON =
      "{\"batchId\":\"batch_01M8KSFCF4C5ZZF7X93DSS21NN\",\"requestId\":\"req-1\","
          + "\"principal\":\"key_a\",\"idempotencyKey\":\"K1\",\"bodySha256\":\"9f2c\","
          + "\"firstSeen\":1764590400000,\"filedAt\":1764590400000,\"deadline\":1764590700000,"
          + "\"targets\":[{\"accountId\":\"acc_tw\",\"platform\":\"twitter\","
          + "\"taskId\":\"task_1\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limited\","
          + "\"message\":\"429 \\u0001\",\"retryable\":true}}],\"waiters\":[],\"pending\":[],"
          + "\"responseStatus\":200,\"response\":\"eyJiYXRjaCI6e319\",\"completedAt\":1764590400480}";

  private static LedgerRecord expected() {
    return new LedgerRecord(
        "batch_01M8KSFCF4C5ZZF7X93DSS21NN",
        "req-1",
        "key_a",
        "K1",
        "9f2c",
        1_764_590_400_000L,
        1_764_590_400_000L,
        null,
        1_764_590_700_000L,
        List.of(
            new LedgerRecord.TargetState(
                "acc_tw",
                "twitter",
                "task_1",
                TargetOutcome.Status.failed,
                null,
                null,
                new TargetError("rate_limited", "429 \u0001", true))),
        List.of(),
        List.of(),
        null,
        200,
        ByteString.copyOf("{\"batch\":{}}".getBytes(StandardCharsets.UTF_8)),
        1_764_590_400_480L,
        null,
        null,
        null);
  }

  @Test
  void aJsonValueIsRefusedAsAnUnknownFormat() {
    assertThatThrownBy(() -> ReplayRecordCodec.read(STORED_JSON.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not a replay record: unknown format byte 0x7b");
  }

  @Test
  void aRetriedByWritesAsAListOfOneAndReadsBack() {
    LedgerRecord retried = expected().withRetry("batch_2");
    byte[] bytes = ReplayRecordCodec.write(retried);
    byte[] without = ReplayRecordCodec.write(expected());
    assertThat(bytes[without.length - 1]).as("the list's count").isEqualTo((byte) 1);
    assertThat(ReplayRecordCodec.read(bytes)).isEqualTo(retried);
  }

  @Test
  void aRecordListingMoreThanOneRetryIsRefused() {
    byte[] one = ReplayRecordCodec.write(expected().withRetry("batch_2"));
    byte[] none = ReplayRecordCodec.write(expected());
    byte[] two = Arrays.copyOf(one, one.length + (one.length - none.length));
    System.arraycopy(one, none.length, two, one.length, one.length - none.length);
    two[none.length - 1] = 2;
    assertThatThrownBy(() -> ReplayRecordCodec.read(two))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("a batch has at most one retry, got 2");
  }

  @Test
  void writesOnlyTheBinaryFormatWithTheResponseBytesRaw() {
    byte[] bytes = ReplayRecordCodec.serde().serializer().serialize("t", expected());
    assertThat(bytes[0]).isEqualTo(ReplayRecordCodec.FORMAT_1);
    byte[] response = "{\"batch\":{}}".getBytes(StandardCharsets.UTF_8);
    assertThat(indexOf(bytes, response)).isPositive();
    assertThat(bytes.length).isLessThan(STORED_JSON.length());
  }

  @Test
  void nullStaysNull() {
    assertThat(ReplayRecordCodec.serde().serializer().serialize("t", null)).isNull();
    assertThat(ReplayRecordCodec.serde().deserializer().deserialize("t", null)).isNull();
  }

  @Test
  void anUnknownFormatByteIsNamed() {
    assertThatThrownBy(() -> ReplayRecordCodec.read(new byte[] {7, 0, 0}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown format byte 0x07");
  }

  @Test
  void aTruncatedValueNamesWhereItEnds() {
    byte[] bytes = ReplayRecordCodec.write(expected());
    for (int n = 1; n < bytes.length; n++) {
      byte[] cut = Arrays.copyOf(bytes, n);
      assertThatThrownBy(() -> ReplayRecordCodec.read(cut))
          .as("cut at %d", n)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("not a replay record");
    }
  }

  @Test
  void trailingBytesAreRefused() {
    byte[] bytes = ReplayRecordCodec.write(expected());
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 2);
    assertThatThrownBy(() -> ReplayRecordCodec.read(longer))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("2 trailing bytes");
  }

  @Test
  void anEmptyValueIsRefused() {
    assertThatThrownBy(() -> ReplayRecordCodec.read(new byte[0]))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("empty value");
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

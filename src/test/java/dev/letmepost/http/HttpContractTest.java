package dev.letmepost.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.FieldError;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The HTTP contract's bodies and times, byte for byte. */
class HttpContractTest {
  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void anErrorBodyHasCodeAndMessageAndFieldErrorsOnlyWhenThereAreSome() {
    assertThat(utf8(ErrorBody.of("unauthorized", "a key")))
        .isEqualTo("{\"error\":{\"code\":\"unauthorized\",\"message\":\"a key\"}}");
    assertThat(
            utf8(
                ErrorBody.of(
                    "preflight_failed",
                    "1 error",
                    List.of(new FieldError("text", "required", "text is required")))))
        .isEqualTo(
            "{\"error\":{\"code\":\"preflight_failed\",\"message\":\"1 error\",\"errors\":"
                + "[{\"field\":\"text\",\"code\":\"required\",\"message\":\"text is required\"}]}}");
  }

  @Test
  void aPendingBodyNamesTheRequestAndItsBatchWhenThereIsOne() {
    assertThat(utf8(PendingRequest.of("req_1", null)))
        .isEqualTo("{\"object\":\"request\",\"id\":\"req_1\",\"status\":\"pending\"}");
    assertThat(utf8(PendingRequest.of("req_1", "batch_1")))
        .isEqualTo(
            "{\"object\":\"request\",\"id\":\"req_1\",\"status\":\"pending\","
                + "\"batchId\":\"batch_1\"}");
  }

  @Test
  void timesAreUtcWithMilliseconds() {
    assertThat(Rfc3339.format(0L)).isEqualTo("1970-01-01T00:00:00.000Z");
    assertThat(Rfc3339.format(Instant.parse("2026-11-30T12:00:00.5Z")))
        .isEqualTo("2026-11-30T12:00:00.500Z");
  }

  @Test
  void anEnvelopeKeepsItsPropertyOrderAndLeavesOutWhatIsAbsent() {
    Envelope e =
        new Envelope(
            "batch_1",
            "batch",
            "published",
            "2026-11-30T12:00:00.000Z",
            null,
            "2026-11-30T12:00:01.000Z",
            null,
            null,
            null,
            List.of(new Envelope.Result("acc_1", "bluesky", "published", "p1", "u1", null)));
    assertThat(utf8(dev.letmepost.wire.Json.write(e)))
        .isEqualTo(
            "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"published\","
                + "\"createdAt\":\"2026-11-30T12:00:00.000Z\","
                + "\"completedAt\":\"2026-11-30T12:00:01.000Z\","
                + "\"results\":[{\"accountId\":\"acc_1\",\"platform\":\"bluesky\","
                + "\"status\":\"published\",\"postId\":\"p1\",\"uri\":\"u1\"}]}");
  }
}

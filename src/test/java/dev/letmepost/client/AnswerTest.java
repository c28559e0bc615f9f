package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.http.ErrorBody;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.TargetError;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Answers and the bodies they carry, as the server's own types write them. */
class AnswerTest {
  @Test
  void anEnvelopeTheServerWritesReadsWithEveryField() {
    byte[] body =
        Json.write(
            new dev.letmepost.http.Envelope(
                "batch_2",
                "batch",
                "partial_failed",
                "2026-11-29T12:00:00.000Z",
                "2026-11-29T12:30:00.000Z",
                "2026-11-29T12:31:00.000Z",
                null,
                "batch_1",
                List.of("batch_3"),
                List.of(
                    new dev.letmepost.http.Envelope.Result(
                        "acc_1", "mastodon", "published", "1", "https://m/1", null),
                    new dev.letmepost.http.Envelope.Result(
                        "acc_2",
                        "threads",
                        "failed",
                        null,
                        null,
                        new TargetError("text_too_long", "too long", false)))));
    Envelope e = answer(207, body).envelope().orElseThrow();
    assertThat(e.id()).isEqualTo("batch_2");
    assertThat(e.status()).isEqualTo(Envelope.BatchStatus.PARTIAL_FAILED);
    assertThat(e.scheduledAt()).isEqualTo(Instant.parse("2026-11-29T12:30:00Z"));
    assertThat(e.completedAt()).isEqualTo(Instant.parse("2026-11-29T12:31:00Z"));
    assertThat(e.canceledAt()).isNull();
    assertThat(e.retryOf()).isEqualTo("batch_1");
    assertThat(e.retries()).containsExactly("batch_3");
    assertThat(e.results().get(1).error())
        .isEqualTo(new Envelope.TargetError("text_too_long", "too long", false));
    assertThat(answer(207, body).error()).isEmpty();
  }

  @Test
  void anErrorTheServerWritesReadsWithItsFieldErrors() {
    byte[] body =
        ErrorBody.of(
            "preflight_failed",
            "the request body failed validation (1 error)",
            List.of(
                new dev.letmepost.command.FieldError(
                    "targets[0].accountId", "invalid_account_id", "empty")));
    Answer a = answer(400, body);
    assertThat(a.envelope()).isEmpty();
    assertThat(a.error())
        .contains(
            new ApiError(
                "preflight_failed",
                "the request body failed validation (1 error)",
                List.of(
                    new ApiError.FieldError(
                        "targets[0].accountId", "invalid_account_id", "empty"))));
    assertThat(ApiError.parse(body)).isEqualTo(a.error().get());
    assertThat(answer(404, ErrorBody.of("batch_not_found", "no")).error().get().errors()).isEmpty();
  }

  @Test
  void aBodyThatIsNeitherIsNeither() {
    Answer a =
        answer(
            202,
            "{\"object\":\"request\",\"status\":\"pending\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(a.envelope()).isEmpty();
    assertThat(a.error()).isEmpty();
    assertThat(answer(500, "not json".getBytes(StandardCharsets.UTF_8)).error()).isEmpty();
    assertThat(answer(500, new byte[0]).envelope()).isEmpty();
  }

  @Test
  void aResultRecordWithoutStatusOrKeyIsNoAnswer() {
    assertThatThrownBy(() -> Answer.of(record("req-1", new RecordHeaders())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("record lmp.post-results/0/7 is no answer: it has no lmp-status header");
    RecordHeaders h = new RecordHeaders();
    h.add(Headers.STATUS, "201".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> Answer.of(record(null, h)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("it has no key");
    Answer a = Answer.of(record("req-1", h));
    assertThat(a.replayed()).isFalse();
    assertThat(a.idempotencyKey()).isNull();
    assertThat(a.keyExpiresAt()).isEmpty();
  }

  @Test
  void anAnswerShowsItsBodyAsItsLengthAndComparesItByContent() {
    Answer a = answer(201, "{}".getBytes(StandardCharsets.UTF_8));
    assertThat(a.toString())
        .isEqualTo(
            "Answer[requestId=req-1, status=201, replayed=false, idempotencyKey=K,"
                + " batchId=null, keyExpires=null, body=byte[2]]");
    Answer same = answer(201, "{}".getBytes(StandardCharsets.UTF_8));
    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isNotEqualTo(answer(201, "{ }".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(() -> answer(42, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("status 42");
  }

  private static Answer answer(int status, byte[] body) {
    return new Answer("req-1", status, false, "K", null, null, body);
  }

  private static ConsumerRecord<String, byte[]> record(String key, RecordHeaders headers) {
    return new ConsumerRecord<>(
        "lmp.post-results",
        0,
        7,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        key,
        null,
        headers,
        Optional.empty());
  }
}

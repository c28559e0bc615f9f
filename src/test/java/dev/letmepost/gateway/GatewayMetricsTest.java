package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.client.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The gateway's own meters, read back from the Prometheus text. */
class GatewayMetricsTest {
  static Answer answer(String requestId, int status, String body) {
    return new Answer(
        requestId, status, false, "K1", null, null, body.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * {@code lmp.gateway.conflicts} counts 409 and 422 answers under their error code, read the way
   * the responses read it ({@link Answer#error()}); an answer whose body has no error code (not
   * JSON, or no {@code error.code}) counts as {@code unknown}. Other statuses are not counted.
   */
  @Test
  void conflictsAreCountedByTheirErrorCodeAndUnknownWithoutOne() {
    try (GatewayMetrics metrics = new GatewayMetrics()) {
      metrics.postAnswered(
          answer(
              "req_1", 409, "{\"error\":{\"code\":\"idempotency_in_progress\",\"message\":\"m\"}}"),
          "kafka",
          Duration.ofMillis(1));
      metrics.postAnswered(
          answer("req_2", 422, "{\"error\":{\"code\":\"idempotency_conflict\"}}"),
          "store",
          Duration.ofMillis(1));
      metrics.postAnswered(
          answer("req_3", 422, "{\"error\":{\"code\":\"idempotency_conflict\"}}"),
          "kafka",
          Duration.ofMillis(1));
      metrics.postAnswered(answer("req_4", 409, "not json"), "kafka", Duration.ofMillis(1));
      metrics.postAnswered(
          answer("req_5", 409, "{\"error\":{\"message\":\"no code\"}}"),
          "kafka",
          Duration.ofMillis(1));
      metrics.postAnswered(
          answer("req_6", 400, "{\"error\":{\"code\":\"invalid_json\"}}"),
          "kafka",
          Duration.ofMillis(1));

      assertThat(metrics.scrape().lines().filter(l -> l.startsWith("lmp_gateway_conflicts_total")))
          .containsExactlyInAnyOrder(
              "lmp_gateway_conflicts_total{code=\"idempotency_in_progress\"} 1.0",
              "lmp_gateway_conflicts_total{code=\"idempotency_conflict\"} 2.0",
              "lmp_gateway_conflicts_total{code=\"unknown\"} 2.0");
    }
  }
}

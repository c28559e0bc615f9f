package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Test helper: a {@link GatewayMetrics} on which every meter the gateway registers has been
 * recorded once, the way the routes record them, for tests outside this package that compare the
 * documented metric names with the registered ones.
 */
public final class GatewayMeters {
  private GatewayMeters() {}

  /** Records one of each meter and returns the Prometheus text. */
  public static String scrapeWithEveryMeter() {
    try (GatewayMetrics metrics = new GatewayMetrics()) {
      metrics.waiters(() -> 0);
      metrics.request("POST", "/v1/posts", 201, Duration.ofMillis(5));
      byte[] envelope =
          ("{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"published\",\"results\":"
                  + "[{\"accountId\":\"acc_1\",\"platform\":\"bluesky\",\"status\":\"published\"}]}")
              .getBytes(StandardCharsets.UTF_8);
      metrics.postAnswered(
          new Answer("req_1", 201, false, "K1", "batch_1", null, envelope),
          "kafka",
          Duration.ofMillis(5));
      metrics.postAnswered(
          new Answer("req_2", 201, true, "K1", "batch_1", null, envelope),
          "store",
          Duration.ofMillis(1));
      metrics.postAnswered(
          new Answer(
              "req_3",
              422,
              false,
              "K1",
              null,
              null,
              "{\"error\":{\"code\":\"idempotency_conflict\"}}".getBytes(StandardCharsets.UTF_8)),
          "kafka",
          Duration.ofMillis(1));
      metrics.timedOut();
      metrics.forwarded("found");
      return metrics.scrape();
    }
  }
}

package dev.letmepost.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The dispatcher's metrics: attempts by result, retries scheduled, attempt latency, endpoints
 * disabled (now, and disablings), deliveries pending.
 */
public final class WebhookMetrics {
  private final MeterRegistry registry;

  public WebhookMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void gauges(Supplier<Number> disabledEndpoints, Supplier<Number> pending) {
    Gauge.builder("lmp.webhook.endpoints.disabled", disabledEndpoints)
        .description("webhook endpoints that are disabled")
        .register(registry);
    Gauge.builder("lmp.webhook.pending", pending)
        .description("webhook deliveries owed by this dispatcher")
        .register(registry);
  }

  /** One attempt ended with {@code result} ({@link DeliveryAttempt#result()}). */
  void attempt(String result, Duration took) {
    Counter.builder("lmp.webhook.deliveries")
        .description("webhook delivery attempts by result")
        .tag("result", result)
        .register(registry)
        .increment();
    Timer.builder("lmp.webhook.delivery.latency")
        .description("webhook delivery attempt latency, connect to status line")
        .tag("result", result.equals(DeliveryAttempt.SUCCEEDED) ? "succeeded" : "failed")
        .publishPercentileHistogram()
        .register(registry)
        .record(took);
  }

  void retry() {
    Counter.builder("lmp.webhook.retries")
        .description("webhook delivery retries scheduled")
        .register(registry)
        .increment();
  }

  void disabled() {
    Counter.builder("lmp.webhook.disablings")
        .description("webhook endpoints the dispatcher disabled after consecutive failures")
        .register(registry)
        .increment();
  }
}

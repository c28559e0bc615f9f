package dev.letmepost.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.client.Answer;
import dev.letmepost.client.ApiError;
import dev.letmepost.wire.Json;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The gateway's Prometheus metrics: HTTP requests by route and status (with latency histograms),
 * replays by where they were answered, conflicts, waiting requests, the target outcomes of the
 * batches this instance submitted, the end-to-end latency of a post, the ledger's Kafka Streams
 * metrics, and the JVM's (memory, GC, threads, CPU, tagged {@code role=gateway}).
 */
public final class GatewayMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private static final Tags ROLE = Tags.of("role", "gateway");
  private final JvmGcMetrics gcMetrics = new JvmGcMetrics(ROLE);
  private KafkaStreamsMetrics streamsMetrics;

  /** The registry with the JVM's memory, GC, thread and CPU meters, tagged {@code role=gateway}. */
  public GatewayMetrics() {
    // The JVM meters alone carry the tag (the roles without an HTTP API tag every meter through
    // HealthServer's common tags): the gateway's own series keep their documented label sets.
    new JvmMemoryMetrics(ROLE).bindTo(registry);
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics(ROLE).bindTo(registry);
    new ProcessorMetrics(ROLE).bindTo(registry);
  }

  void waiters(Supplier<Number> waiting) {
    Gauge.builder("lmp.gateway.waiters", waiting)
        .description("posts and batch actions waiting for the ledger's answer")
        .register(registry);
  }

  /** One HTTP request answered; {@code route} is the matched route template. */
  void request(String method, String route, int status, Duration took) {
    Timer.builder("lmp.gateway.http.requests")
        .description("HTTP requests by route and status")
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .publishPercentileHistogram()
        .register(registry)
        .record(took);
  }

  /**
   * A post answered from the ledger; {@code source} is {@code store} (fast path) or {@code kafka}.
   */
  void postAnswered(Answer answer, String source, Duration took) {
    Timer.builder("lmp.gateway.post.latency")
        .description("end-to-end latency of POST /v1/posts, from request to answer")
        .tag("source", source)
        .publishPercentileHistogram()
        .register(registry)
        .record(took);
    if (answer.replayed()) {
      Counter.builder("lmp.gateway.replays")
          .description("answers that replayed a recorded answer")
          .tag("source", source)
          .register(registry)
          .increment();
    }
    if (answer.status() == 409 || answer.status() == 422) {
      Counter.builder("lmp.gateway.conflicts")
          .description("409 and 422 answers by code")
          .tag("code", answer.error().map(ApiError::code).orElse("unknown"))
          .register(registry)
          .increment();
    }
    if (!answer.replayed() && answer.batchId() != null && source.equals("kafka")) {
      countOutcomes(answer.body());
    }
  }

  void timedOut() {
    Counter.builder("lmp.gateway.answer.timeouts")
        .description("posts answered 202 because the ledger's answer did not come in time")
        .register(registry)
        .increment();
  }

  /** A read sent to another instance; {@code outcome} is found, not_found or failed. */
  void forwarded(String outcome) {
    Counter.builder("lmp.gateway.forwarded.reads")
        .description("reads forwarded to the instance holding the data")
        .tag("outcome", outcome)
        .register(registry)
        .increment();
  }

  /** Binds the ledger's Kafka Streams metrics (once). */
  synchronized void bind(KafkaStreams streams) {
    if (streamsMetrics == null) {
      streamsMetrics = new KafkaStreamsMetrics(streams);
      streamsMetrics.bindTo(registry);
    }
  }

  /** The registry behind {@link #scrape()}: other roles of the process add their meters to it. */
  public MeterRegistry registry() {
    return registry;
  }

  public String scrape() {
    return registry.scrape();
  }

  private void countOutcomes(byte[] envelope) {
    JsonNode results = tree(envelope).path("results");
    for (JsonNode r : results) {
      Counter.builder("lmp.gateway.target.outcomes")
          .description("per-target outcomes of the batches this instance submitted")
          .tag("platform", r.path("platform").asText("unknown"))
          .tag("status", r.path("status").asText("unknown"))
          .register(registry)
          .increment();
    }
  }

  private static JsonNode tree(byte[] body) {
    try {
      return Json.MAPPER.readTree(body);
    } catch (IOException e) {
      return Json.MAPPER.missingNode();
    }
  }

  @Override
  public synchronized void close() {
    if (streamsMetrics != null) {
      streamsMetrics.close();
    }
    gcMetrics.close();
    registry.close();
  }
}

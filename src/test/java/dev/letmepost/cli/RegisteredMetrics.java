package dev.letmepost.cli;

import dev.letmepost.gateway.GatewayMeters;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.ledger.LedgerTopology;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Test helper: the Prometheus sample names every lmp role's {@code /metrics} can show, taken from
 * the code itself: the gateway's meters (each recorded once), the ledger's Kafka Streams metrics on
 * a ledger instance that is created but not started, the JVM meters of {@link HealthServer}, and
 * the publisher's meters. Docs and dashboards are checked against this set.
 */
final class RegisteredMetrics {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");

  private RegisteredMetrics() {}

  /** Every sample name (with {@code _bucket}, {@code _count}, {@code _sum}, {@code _total}). */
  static Set<String> sampleNames() {
    Set<String> names = new TreeSet<>();
    names.addAll(names(GatewayMeters.scrapeWithEveryMeter()));
    names.addAll(names(ledgerScrape()));
    try (HealthServer health = HealthServer.start("publisher", "127.0.0.1", 0)) {
      PublisherCommand.bindMetrics(health.registry(), new int[] {3}, counts -> counts[0]);
      new ConsumerLag(
              List.of("lmp.publisher-sandbox"),
              new ConsumerLag.Offsets() {
                @Override
                public Map<String, Map<TopicPartition, Long>> committed(List<String> groups) {
                  return Map.of();
                }

                @Override
                public Map<TopicPartition, Long> ends(Iterable<TopicPartition> partitions) {
                  return Map.of();
                }
              },
              java.time.Clock.systemUTC(),
              () -> {})
          .bindTo(health.registry());
      names.addAll(names(health.registry().scrape()));
    }
    return names;
  }

  private static String ledgerScrape() {
    LedgerConfig config = LedgerConfig.defaults(Topics.defaults());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Path state;
    try {
      state = Files.createTempDirectory("lmp-metrics");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // Created, never started: its clients exist (and register their metrics) without a broker.
    try (KafkaStreams streams =
        new KafkaStreams(
            LedgerTopology.topology(config),
            LedgerApp.streamsProperties(
                config, ClientSettings.of("127.0.0.1:1"), state, Map.of()))) {
      KafkaStreamsMetrics metrics = LedgerCommand.bindMetrics(registry, streams);
      String scrape = registry.scrape();
      metrics.close();
      return scrape;
    } finally {
      registry.close();
    }
  }

  static Set<String> names(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!line.startsWith("#") && m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }
}

package dev.letmepost.gateway;

import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.wire.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway role as {@code lmp serve} and {@code lmp gateway} run it: the HTTP server bound first
 * (so its address can be the ledger's {@code application.server}), then attached to the API-key
 * follower, the Kafka client and the ledger instance of this process. Closing stops them in reverse
 * order.
 */
public final class GatewayService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayService.class);

  /**
   * Where to listen and what to advertise.
   *
   * @param advertisedHost the host other instances reach this one at; null means {@code host}
   */
  public record Options(String host, int port, String advertisedHost, GatewayConfig config) {
    public Options {
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(config, "config");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("HTTP port must be 0-65535, got " + port);
      }
    }
  }

  private final Gateway gateway;
  private final HostInfo self;
  private final List<AutoCloseable> started = new ArrayList<>();

  private GatewayService(Gateway gateway, HostInfo self) {
    this.gateway = gateway;
    this.self = self;
  }

  /** Binds the HTTP server; every API route answers 503 until {@link #attach}. */
  public static GatewayService bind(Options options) {
    GatewayMetrics metrics = new GatewayMetrics();
    Gateway gateway =
        new Gateway(options.config(), Clock.systemUTC(), metrics)
            .start(options.host(), options.port());
    String advertised =
        options.advertisedHost() != null
            ? options.advertisedHost()
            : options.host().equals("0.0.0.0") ? "localhost" : options.host();
    GatewayService s = new GatewayService(gateway, new HostInfo(advertised, gateway.port()));
    s.started.add(metrics);
    s.started.add(gateway);
    LOG.info("HTTP gateway listening on {}:{}", options.host(), gateway.port());
    return s;
  }

  /** The ledger settings that make this instance's stores reachable for forwarded reads. */
  public Map<String, String> streamsOverrides() {
    return Map.of(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
  }

  /** Starts the key follower and the Kafka client and connects the routes to {@code ledger}. */
  public void attach(
      String bootstrapServers, Topics topics, LedgerConfig ledgerConfig, KafkaStreams ledger) {
    ApiKeyRegistry registry = new ApiKeyRegistry();
    ApiKeyFollower follower = new ApiKeyFollower(bootstrapServers, topics, registry);
    started.add(follower);
    KafkaLedgerClient client = new KafkaLedgerClient(bootstrapServers, topics);
    started.add(client);
    gateway.metrics().bind(ledger);
    gateway.attach(
        new Gateway.Backend(
            registry,
            follower::caughtUp,
            client,
            new StreamsLedgerView(ledger, ledgerConfig, self)));
  }

  public int port() {
    return gateway.port();
  }

  /** Blocks until the API keys known at start are loaded. */
  public boolean awaitKeys(Duration timeout) throws InterruptedException {
    for (AutoCloseable c : started) {
      if (c instanceof ApiKeyFollower f) {
        return f.awaitCaughtUp(timeout);
      }
    }
    return false;
  }

  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        LOG.warn("error while stopping {}: {}", started.get(i), e.toString());
      }
    }
    started.clear();
  }
}

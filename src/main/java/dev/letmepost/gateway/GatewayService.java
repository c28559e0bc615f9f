package dev.letmepost.gateway;

import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.net.AddressGuard;
import dev.letmepost.webhook.SigningKey;
import dev.letmepost.webhook.WebhookStore;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Closer;
import dev.letmepost.wire.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
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
  private final Closer started = new Closer();

  private GatewayService(Gateway gateway, HostInfo self) {
    this.gateway = gateway;
    this.self = self;
  }

  /**
   * Binds the HTTP server; every API route answers 503 until {@link #attach}.
   *
   * @throws IllegalArgumentException when {@code --http-host} is a wildcard address, no {@code
   *     --advertised-host} is given and this host has no address other instances could reach
   */
  public static GatewayService bind(Options options) {
    Advertised advertised =
        advertisedHost(options.host(), options.advertisedHost(), HostAddresses.system());
    GatewayMetrics metrics = new GatewayMetrics();
    Gateway gateway =
        new Gateway(options.config(), Clock.systemUTC(), metrics)
            .start(options.host(), options.port());
    GatewayService s = new GatewayService(gateway, new HostInfo(advertised.host(), gateway.port()));
    s.started.add(metrics);
    s.started.add(gateway);
    LOG.info(
        "HTTP gateway listening on {}:{}, advertised to the other instances as {}:{} ({})",
        options.host(),
        gateway.port(),
        advertised.host(),
        gateway.port(),
        advertised.why());
    return s;
  }

  /** The host this instance is advertised at, and where that came from (for the log). */
  record Advertised(String host, String why) {}

  /** This host's addresses, as {@link #advertisedHost} chooses among them. */
  interface HostAddresses {
    /** The address the host name resolves to ({@link InetAddress#getLocalHost()}). */
    InetAddress localHost() throws IOException;

    /** The addresses of the network interfaces that are up, with the interface's name. */
    List<Map.Entry<String, InetAddress>> interfaces() throws IOException;

    static HostAddresses system() {
      return new HostAddresses() {
        @Override
        public InetAddress localHost() throws IOException {
          return InetAddress.getLocalHost();
        }

        @Override
        public List<Map.Entry<String, InetAddress>> interfaces() throws IOException {
          List<Map.Entry<String, InetAddress>> all = new ArrayList<>();
          for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (n.isUp() && !n.isLoopback()) {
              for (InetAddress a : Collections.list(n.getInetAddresses())) {
                all.add(Map.entry(n.getName(), a));
              }
            }
          }
          return all;
        }
      };
    }
  }

  /**
   * The host other instances reach this one at: {@code advertisedHost} when given, else {@code
   * httpHost}, unless that is a wildcard address ({@code 0.0.0.0}, {@code ::}), which no other
   * instance can connect to: then the address the host name resolves to when that is reachable from
   * elsewhere (not loopback, link-local or wildcard), else the first such address of an interface
   * that is up (IPv4 first).
   *
   * @throws IllegalArgumentException naming the options when there is no such address
   */
  static Advertised advertisedHost(
      String httpHost, String advertisedHost, HostAddresses addresses) {
    if (advertisedHost != null && !advertisedHost.isBlank()) {
      return new Advertised(advertisedHost, "--advertised-host");
    }
    if (!isWildcard(httpHost)) {
      return new Advertised(httpHost, "--http-host");
    }
    String because = "--http-host " + httpHost + " listens on every address; ";
    try {
      InetAddress local = addresses.localHost();
      if (reachable(local)) {
        return new Advertised(
            literal(local),
            because
                + "the address of host name "
                + local.getHostName()
                + ", as no --advertised-host");
      }
    } catch (IOException e) {
      LOG.debug("the host name does not resolve: {}", e.toString());
    }
    List<Map.Entry<String, InetAddress>> interfaces;
    try {
      interfaces = addresses.interfaces();
    } catch (IOException e) {
      interfaces = List.of();
      LOG.warn("the network interfaces could not be listed: {}", e.toString());
    }
    Optional<Map.Entry<String, InetAddress>> chosen =
        interfaces.stream()
            .filter(e -> reachable(e.getValue()))
            .min(
                Comparator.comparingInt(
                    (Map.Entry<String, InetAddress> e) ->
                        e.getValue() instanceof Inet4Address ? 0 : 1));
    if (chosen.isPresent()) {
      return new Advertised(
          literal(chosen.get().getValue()),
          because
              + "the address of interface "
              + chosen.get().getKey()
              + ", as no --advertised-host");
    }
    throw new IllegalArgumentException(
        "--http-host "
            + httpHost
            + " listens on every address, but this host has no address other instances could"
            + " reach (only loopback or link-local ones): set --advertised-host to the name or"
            + " address the other instances reach this one at");
  }

  static boolean isWildcard(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (h.isEmpty()) {
      return true;
    }
    if (!h.matches("[0-9A-Fa-f:.]+")) {
      return false; // a host name, not an address literal (no look-up here)
    }
    try {
      return InetAddress.getByName(h).isAnyLocalAddress();
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean reachable(InetAddress a) {
    return a != null
        && !a.isLoopbackAddress()
        && !a.isAnyLocalAddress()
        && !a.isLinkLocalAddress()
        && !a.isMulticastAddress();
  }

  /** The address as a literal, without an IPv6 scope. */
  private static String literal(InetAddress a) {
    String s = a.getHostAddress();
    int scope = s.indexOf('%');
    return scope < 0 ? s : s.substring(0, scope);
  }

  /** The ledger settings that make this instance's stores reachable for forwarded reads. */
  public Map<String, String> streamsOverrides() {
    String host = self.host().contains(":") ? "[" + self.host() + "]" : self.host();
    return Map.of(StreamsConfig.APPLICATION_SERVER_CONFIG, host + ":" + self.port());
  }

  /** Starts the key follower and the Kafka client and connects the routes to {@code ledger}. */
  public void attach(
      ClientSettings kafka, Topics topics, LedgerConfig ledgerConfig, KafkaStreams ledger) {
    ApiKeyRegistry registry = new ApiKeyRegistry();
    ApiKeyFollower follower = new ApiKeyFollower(kafka, topics, registry);
    started.add(follower);
    KafkaLedgerClient client = new KafkaLedgerClient(kafka, topics);
    started.add(client);
    gateway.watch(follower::problem);
    gateway.watch(client::problem);
    gateway.metrics().bind(ledger);
    gateway.attach(
        new Gateway.Backend(
            registry,
            follower::caughtUp,
            client,
            new StreamsLedgerView(ledger, ledgerConfig, self)));
  }

  /** Serves the webhook endpoint routes from the cluster, secrets derived from {@code key}. */
  public void attachWebhooks(
      ClientSettings kafka, Topics topics, SigningKey key, AddressGuard.Policy policy) {
    WebhookStore store = WebhookStore.start(kafka, topics, key, policy);
    started.add(store);
    gateway.attachWebhooks(store);
  }

  /**
   * Adds a background reader of another role of this process (the publishers' account book, a
   * webhook dispatcher) to {@code /readyz}: see {@link Gateway#watch}.
   */
  public void watch(Supplier<Optional<String>> problem) {
    gateway.watch(problem);
  }

  /** The registry {@code /metrics} serves, for the other roles of this process. */
  public MeterRegistry meterRegistry() {
    return gateway.metrics().registry();
  }

  public int port() {
    return gateway.port();
  }

  /** Blocks until the API keys known at start are loaded. */
  public boolean awaitKeys(Duration timeout) throws InterruptedException {
    List<ApiKeyFollower> followers = started.partsOf(ApiKeyFollower.class);
    return !followers.isEmpty() && followers.get(0).awaitCaughtUp(timeout);
  }

  @Override
  public void close() {
    started.close();
  }
}

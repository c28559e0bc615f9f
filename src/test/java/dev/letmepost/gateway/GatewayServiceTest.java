package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which host this instance is advertised at for forwarded reads. */
class GatewayServiceTest {
  static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal); // a literal: no look-up
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** A host whose name resolves to {@code local} (or not at all) with these interfaces. */
  static GatewayService.HostAddresses host(
      InetAddress local, List<Map.Entry<String, InetAddress>> interfaces) {
    return new GatewayService.HostAddresses() {
      @Override
      public InetAddress localHost() throws IOException {
        if (local == null) {
          throw new UnknownHostException("gw-1: Name or service not known");
        }
        return local;
      }

      @Override
      public List<Map.Entry<String, InetAddress>> interfaces() {
        return interfaces;
      }
    };
  }

  static final GatewayService.HostAddresses NEVER_ASKED =
      new GatewayService.HostAddresses() {
        @Override
        public InetAddress localHost() {
          throw new AssertionError("not a wildcard: the host's addresses are not needed");
        }

        @Override
        public List<Map.Entry<String, InetAddress>> interfaces() {
          throw new AssertionError("not a wildcard: the host's addresses are not needed");
        }
      };

  @Test
  void anAdvertisedHostOrASpecificHttpHostIsAdvertisedAsIs() {
    assertThat(GatewayService.advertisedHost("0.0.0.0", "gw-1.internal", NEVER_ASKED).host())
        .isEqualTo("gw-1.internal");
    assertThat(GatewayService.advertisedHost("10.0.0.7", null, NEVER_ASKED).host())
        .isEqualTo("10.0.0.7");
    assertThat(GatewayService.advertisedHost("127.0.0.1", null, NEVER_ASKED).host())
        .isEqualTo("127.0.0.1");
  }

  /**
   * {@code --http-host 0.0.0.0} without {@code --advertised-host} advertised {@code localhost}:
   * every other instance forwarded reads to itself and missed the data held here.
   */
  @Test
  void wildcardHttpHostAdvertisesTheAddressTheHostNameResolvesTo() {
    GatewayService.Advertised a =
        GatewayService.advertisedHost(
            "0.0.0.0", null, host(ip("10.1.2.3"), List.of(Map.entry("eth0", ip("10.9.9.9")))));

    assertThat(a.host()).isEqualTo("10.1.2.3");
    assertThat(a.why()).contains("--http-host 0.0.0.0", "host name");
  }

  @Test
  void wildcardWithALoopbackHostNameAdvertisesAnInterfaceAddressIpv4First() {
    GatewayService.Advertised a =
        GatewayService.advertisedHost(
            "::",
            null,
            host(
                ip("127.0.1.1"),
                List.of(
                    Map.entry("eth0", ip("fe80::1")),
                    Map.entry("eth0", ip("2001:db8::5")),
                    Map.entry("eth1", ip("169.254.3.3")),
                    Map.entry("eth1", ip("192.168.1.20")))));

    assertThat(a.host()).isEqualTo("192.168.1.20");
    assertThat(a.why()).contains("interface eth1");
  }

  @Test
  void anIpv6OnlyHostAdvertisesItsGlobalAddressWithoutScope() {
    GatewayService.Advertised a =
        GatewayService.advertisedHost(
            "[::]", null, host(null, List.of(Map.entry("eth0", ip("2001:db8:0:0:0:0:0:5%1")))));

    assertThat(a.host()).isEqualTo("2001:db8:0:0:0:0:0:5");
  }

  @Test
  void wildcardWithoutAnyReachableAddressIsRefusedNamingTheOptions() {
    assertThatThrownBy(
            () ->
                GatewayService.advertisedHost(
                    "0.0.0.0",
                    null,
                    host(ip("127.0.1.1"), List.of(Map.entry("eth0", ip("fe80::1"))))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--http-host 0.0.0.0")
        .hasMessageContaining("--advertised-host");
  }

  @Test
  void wildcardsAreTheAnyAddressLiteralsOnly() {
    assertThat(List.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0", ""))
        .allMatch(GatewayService::isWildcard);
    assertThat(List.of("127.0.0.1", "::1", "gw-1.internal", "localhost", "10.0.0.7"))
        .noneMatch(GatewayService::isWildcard);
  }
}

package dev.letmepost.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SSRF guard: which URLs may be endpoints and which resolved addresses a delivery may reach.
 */
class AddressGuardTest {
  static AddressGuard guard(AddressGuard.Policy policy, String... addresses) {
    return new AddressGuard(
        policy,
        host -> {
          if (addresses.length == 0) {
            throw new UnknownHostException(host);
          }
          InetAddress[] out = new InetAddress[addresses.length];
          for (int i = 0; i < addresses.length; i++) {
            out[i] = InetAddress.getByName(addresses[i]);
          }
          return out;
        });
  }

  static final AddressGuard.Policy DEMO = new AddressGuard.Policy(true, false);
  static final AddressGuard.Policy PRIVATE_OK = new AddressGuard.Policy(false, true);

  @Test
  void aPublicHttpsUrlIsAllowed() throws Exception {
    assertThat(
            guard(AddressGuard.Policy.STRICT, "93.184.215.14")
                .check("https://hooks.example.com/in"))
        .isEqualTo(URI.create("https://hooks.example.com/in"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1", "127.9.9.9", "::1", "10.0.0.5", "172.16.0.1", "172.31.255.255",
        "192.168.1.1", "169.254.169.254", "fe80::1", "fc00::1", "fd12:3456::1", "100.64.0.1"
      })
  void loopbackLinkLocalAndPrivateAddressesAreRefusedOutsideDemo(String address) {
    assertThatThrownBy(
            () -> guard(AddressGuard.Policy.STRICT, address).check("https://h.example/x"))
        .isInstanceOf(AddressGuard.Refused.class)
        .hasMessageStartingWith("url 'https://h.example/x' resolves to ")
        .hasMessageContaining("are not allowed (--webhook-allow-private-addresses allows them)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.5", "192.168.1.1", "169.254.169.254", "127.0.0.1", "fd00::1"})
  void theFlagAllowsPrivateAddressesButStillOnlyHttps(String address) throws Exception {
    assertThat(guard(PRIVATE_OK, address).check("https://internal.example/x")).isNotNull();
    assertThatThrownBy(() -> guard(PRIVATE_OK, address).check("http://internal.example/x"))
        .hasMessageContaining("http is allowed only to a loopback address in demo mode");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "0.1.2.3", "::", "224.0.0.1", "ff02::1", "255.255.255.255"})
  void unspecifiedMulticastAndBroadcastAreNeverAllowed(String address) {
    assertThatThrownBy(
            () -> guard(new AddressGuard.Policy(true, true), address).check("https://h.example/"))
        .isInstanceOf(AddressGuard.Refused.class)
        .hasMessageContaining("never allowed");
  }

  @Test
  void demoModeAllowsHttpOnLoopbackOnly() throws Exception {
    assertThat(guard(DEMO, "127.0.0.1").check("http://localhost:9000/hook")).isNotNull();
    assertThatThrownBy(() -> guard(DEMO, "93.184.215.14").check("http://hooks.example.com/"))
        .hasMessage(
            "url 'http://hooks.example.com/' resolves to 93.184.215.14: http is allowed only to a"
                + " loopback address in demo mode; use https");
    assertThatThrownBy(() -> guard(DEMO, "192.168.1.1").check("https://nas.local/"))
        .hasMessageContaining("private addresses are not allowed");
    assertThatThrownBy(
            () -> guard(AddressGuard.Policy.STRICT, "127.0.0.1").check("http://localhost/"))
        .hasMessageContaining("loopback addresses are not allowed");
  }

  @Test
  void oneRefusedAddressAmongSeveralRefusesTheUrl() {
    assertThatThrownBy(
            () ->
                guard(AddressGuard.Policy.STRICT, "93.184.215.14", "10.1.1.1")
                    .check("https://two.example/"))
        .hasMessage(
            "url 'https://two.example/' resolves to 10.1.1.1: private addresses are not allowed"
                + " (--webhook-allow-private-addresses allows them)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ftp://h.example/x",
        "file:///etc/passwd",
        "https://user:pw@h.example/",
        "h.example/x",
        "https:///nohost",
        "https://h.example/#frag",
        "https://h.example/a b"
      })
  void malformedOrNonHttpUrlsAreRefusedNamingTheUrl(String url) {
    assertThatThrownBy(() -> guard(AddressGuard.Policy.STRICT, "93.184.215.14").check(url))
        .isInstanceOf(AddressGuard.Refused.class)
        .hasMessageContaining("url '");
  }

  @Test
  void aHostThatDoesNotResolveIsRefused() {
    assertThatThrownBy(() -> guard(AddressGuard.Policy.STRICT).check("https://nowhere.invalid/"))
        .hasMessage(
            "the host 'nowhere.invalid' of url 'https://nowhere.invalid/' does not resolve");
  }

  @Test
  void anIpLiteralIsCheckedItself() {
    assertThatThrownBy(
            () ->
                new AddressGuard(AddressGuard.Policy.STRICT, AddressGuard.Resolver.SYSTEM)
                    .check("https://[::ffff:127.0.0.1]/"))
        .hasMessageContaining("loopback addresses are not allowed");
    assertThatThrownBy(
            () ->
                new AddressGuard(AddressGuard.Policy.STRICT, AddressGuard.Resolver.SYSTEM)
                    .check("https://169.254.169.254/latest/meta-data/"))
        .hasMessageContaining("link-local addresses are not allowed");
  }

  /**
   * The address as a resolver may hand it out: an IPv4-mapped literal stays an {@link Inet6Address}
   * (InetAddress.getByName would turn it into an Inet4Address, a resolver need not).
   */
  static InetAddress literal(String address) throws UnknownHostException {
    InetAddress a = InetAddress.getByName(address);
    if (address.startsWith("::ffff:")) {
      byte[] v4 = a.getAddress();
      byte[] b = new byte[16];
      b[10] = (byte) 0xff;
      b[11] = (byte) 0xff;
      System.arraycopy(v4, 0, b, 12, 4);
      return Inet6Address.getByAddress(null, b, -1);
    }
    return a;
  }

  /**
   * Addresses the guard let through before: IPv6 forms that carry an IPv4 address to a translator
   * or tunnel (NAT64, 6to4, Teredo, IPv4-compatible, IPv4-mapped as an Inet6Address) and the
   * special-purpose IPv4 ranges where no receiver lives. Each is refused, naming why; the embedded
   * forms name the IPv4 address they reach.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "64:ff9b::7f00:1 | NAT64 address of 127.0.0.1: loopback addresses are not allowed",
        "64:ff9b::a9fe:a9fe | NAT64 address of 169.254.169.254: link-local addresses are not",
        "64:ff9b::c0a8:101 | NAT64 address of 192.168.1.1: private addresses are not allowed",
        "64:ff9b::c612:1 | NAT64 address of 198.18.0.1: benchmarking (198.18.0.0/15) addresses",
        "64:ff9b:1::a00:1 | local-use NAT64 (64:ff9b:1::/48) addresses are not allowed",
        "64:ff9b:1:ffff::5db8:d70e | local-use NAT64 (64:ff9b:1::/48) addresses are not allowed",
        "2002:7f00:1::1 | 6to4 address of 127.0.0.1: loopback addresses are not allowed",
        "2002:a9fe:a9fe:: | 6to4 address of 169.254.169.254: link-local addresses are not",
        "2002:a00:1:1::1 | 6to4 address of 10.0.0.1: private addresses are not allowed",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2 | Teredo addresses (2001::/32) are never allowed",
        "2001::1 | Teredo addresses (2001::/32) are never allowed",
        "::7f00:1 | IPv4-compatible IPv6 addresses (::a.b.c.d, deprecated) are never allowed",
        "::5db8:d70e | IPv4-compatible IPv6 addresses (::a.b.c.d, deprecated) are never allowed",
        "::ffff:127.0.0.1 | IPv4-mapped address of 127.0.0.1: loopback addresses are not allowed",
        "::ffff:169.254.169.254 | IPv4-mapped address of 169.254.169.254: link-local addresses",
        "::ffff:10.1.2.3 | IPv4-mapped address of 10.1.2.3: private addresses are not allowed",
        "198.18.0.1 | benchmarking (198.18.0.0/15) addresses are never allowed",
        "198.19.255.255 | benchmarking (198.18.0.0/15) addresses are never allowed",
        "192.0.0.8 | IETF protocol assignment (192.0.0.0/24) addresses are never allowed",
        "192.0.0.170 | IETF protocol assignment (192.0.0.0/24) addresses are never allowed",
        "240.0.0.1 | reserved (240.0.0.0/4) addresses are never allowed",
        "254.255.255.254 | reserved (240.0.0.0/4) addresses are never allowed",
        "192.0.2.1 | documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) addresses",
        "198.51.100.7 | documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) addresses",
        "203.0.113.9 | documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) addresses",
        "2001:db8::1 | documentation (2001:db8::/32) addresses are never allowed",
        "100.64.0.1 | shared (carrier-grade NAT) addresses are not allowed",
        "100.127.255.255 | shared (carrier-grade NAT) addresses are not allowed"
      })
  void tunnelTranslatorAndSpecialPurposeAddressesAreRefused(String address, String why)
      throws Exception {
    InetAddress a = literal(address);
    AddressGuard strict =
        new AddressGuard(AddressGuard.Policy.STRICT, host -> new InetAddress[] {a});
    assertThatThrownBy(() -> strict.check("https://h.example/x"))
        .isInstanceOf(AddressGuard.Refused.class)
        .hasMessageStartingWith("url 'https://h.example/x' resolves to " + a.getHostAddress())
        .hasMessageContaining(why);
  }

  /** The same forms that reach a public IPv4 address, and the ranges' neighbours, are allowed. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "64:ff9b::5db8:d70e",
        "2002:5db8:d70e::1",
        "::ffff:93.184.215.14",
        "198.17.255.255",
        "198.20.0.0",
        "192.0.1.255",
        "192.0.3.0",
        "100.63.255.255",
        "100.128.0.0",
        "203.0.112.1",
        "2001:1::1",
        "2606:4700::1111"
      })
  void publicAddressesThroughTheSameFormsAreAllowed(String address) throws Exception {
    InetAddress a = literal(address);
    assertThat(
            new AddressGuard(AddressGuard.Policy.STRICT, host -> new InetAddress[] {a})
                .check("https://h.example/x"))
        .isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"64:ff9b:1::a00:1", "64:ff9b::a00:1", "2002:c0a8:101::1"})
  void theFlagAllowsPrivateAddressesBehindNat64And6to4(String address) throws Exception {
    InetAddress a = literal(address);
    assertThat(new AddressGuard(PRIVATE_OK, host -> new InetAddress[] {a}).check("https://i.x/"))
        .isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"198.18.0.1", "240.0.0.1", "2001::1", "::7f00:1", "192.0.2.1"})
  void specialPurposeAndTunnelAddressesAreRefusedEvenWithTheFlag(String address) throws Exception {
    InetAddress a = literal(address);
    assertThatThrownBy(
            () ->
                new AddressGuard(new AddressGuard.Policy(true, true), h -> new InetAddress[] {a})
                    .check("https://h.example/"))
        .hasMessageContaining("never allowed");
  }
}

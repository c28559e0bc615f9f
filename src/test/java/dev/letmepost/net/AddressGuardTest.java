package dev.letmepost.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
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
}

package dev.letmepost.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The SSRF guard of outbound URLs: which URLs an endpoint may have and which addresses a call may
 * connect to. It checks a URL when an endpoint is created and again, against the addresses its host
 * resolves to at that moment, before every call; the call then connects to exactly the address
 * checked (the webhook dispatcher's client does), so a host that resolves to a public address at
 * creation and to a private one later (DNS rebinding) is refused.
 */
public final class AddressGuard {
  /*
   * The rules (docs/webhooks.md#ssrf):
   * - https only; in demo mode http too, but only to a loopback address.
   * - Never loopback (127/8, ::1), link-local (169.254/16, fe80::/10), private (10/8, 172.16/12,
   *   192.168/16, fc00::/7, fec0::/10), shared (100.64/10) addresses: unless allowPrivate, or
   *   loopback in demo mode.
   * - Never the unspecified address (0.0.0.0/8, ::), broadcast or multicast, whatever the flags:
   *   no receiver lives there, and 0.0.0.0 reaches the local host on Linux.
   * - Never the special-purpose IPv4 ranges no receiver lives in, whatever the flags: 192.0.0/24
   *   (IETF protocol assignments), 198.18/15 (benchmarking), 240/4 (reserved), the documentation
   *   ranges 192.0.2/24, 198.51.100/24, 203.0.113/24 and 2001:db8::/32.
   * - IPv6 forms that carry an IPv4 address to a translator or tunnel. Where the embedded address
   *   is where the packet ends up, the embedded address is checked by these same rules and the
   *   IPv6 address is refused when it would be: IPv4-mapped ::ffff:a.b.c.d, NAT64 well-known
   *   prefix 64:ff9b::/96, 6to4 2002:wwxx:yyzz::/16. The whole prefix is refused where it cannot
   *   be a receiver or its destination cannot be read off the address: IPv4-compatible ::a.b.c.d
   *   (deprecated, RFC 4291), Teredo 2001::/32 (a relay, and the client address is obfuscated).
   *   The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) translates into an operator's own
   *   network with its own layout: private, allowed only with allowPrivate.
   * - No user info in the URL (it would be sent to nobody, and confuses what the host is), no
   *   fragment, at most 2,048 characters.
   * Redirects are not followed (a 3xx is a failed attempt), so a receiver cannot bounce a delivery
   * to an address the guard refused.
   */

  /** The operator switch that allows private addresses for webhook deliveries. */
  static final String WEBHOOK_SWITCH = "--webhook-allow-private-addresses";

  /** The longest URL accepted. */
  public static final int MAX_URL_CHARS = 2048;

  /**
   * What is allowed.
   *
   * @param demo http and loopback addresses allowed (one machine runs the whole flow)
   * @param allowPrivate loopback, link-local and private addresses allowed ({@code
   *     --webhook-allow-private-addresses}); https is still required outside demo mode
   */
  public record Policy(boolean demo, boolean allowPrivate) {
    public static final Policy STRICT = new Policy(false, false);
  }

  /** Resolves a host name to its addresses (the system resolver, or a test's). */
  @FunctionalInterface
  public interface Resolver {
    InetAddress[] resolve(String host) throws UnknownHostException;

    Resolver SYSTEM = InetAddress::getAllByName;
  }

  /** A URL or address the policy refuses; the message names it. */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    public Refused(String message) {
      super(message);
    }
  }

  private final Policy policy;
  private final Resolver resolver;

  public AddressGuard(Policy policy, Resolver resolver) {
    this.policy = policy;
    this.resolver = resolver;
  }

  public Policy policy() {
    return policy;
  }

  /**
   * {@code url} parsed, once its form and every address its host resolves to are allowed.
   *
   * @throws Refused naming the URL, the address and the rule
   */
  public URI check(String url) throws Refused {
    URI uri = parse(url);
    addresses(uri);
    return uri;
  }

  /** The form of {@code url}: an absolute http(s) URL with a host, no user info, no fragment. */
  public static URI parse(String url) throws Refused {
    if (url == null || url.isBlank()) {
      throw new Refused("url must be an https URL, got none");
    }
    if (url.length() > MAX_URL_CHARS) {
      throw new Refused(
          "url must be at most " + MAX_URL_CHARS + " characters, got " + url.length());
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new Refused("url '" + echo(url) + "' is not a valid URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new Refused("url '" + echo(url) + "' must be an https URL");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new Refused("url '" + echo(url) + "' has no host");
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused("url '" + echo(url) + "' must not hold user info");
    }
    if (uri.getRawFragment() != null) {
      throw new Refused("url '" + echo(url) + "' must not hold a fragment");
    }
    return uri;
  }

  /**
   * The addresses a delivery to {@code uri} may connect to: every address its host resolves to now,
   * each allowed by the policy (one refused address refuses the URL: a resolver may hand out any of
   * them).
   */
  public List<InetAddress> addresses(URI uri) throws Refused {
    String host = hostOf(uri);
    InetAddress[] all;
    try {
      all = resolver.resolve(host);
    } catch (UnknownHostException e) {
      throw new Refused(
          "the host '" + echo(host) + "' of url '" + echo(uri.toString()) + "' does not resolve");
    }
    if (all == null || all.length == 0) {
      throw new Refused(
          "the host '" + echo(host) + "' of url '" + echo(uri.toString()) + "' does not resolve");
    }
    boolean http = "http".equalsIgnoreCase(uri.getScheme());
    List<InetAddress> allowed = new ArrayList<>();
    for (InetAddress a : all) {
      Optional<String> problem = problem(a);
      if (problem.isEmpty() && http && !(policy.demo() && a.isLoopbackAddress())) {
        problem = Optional.of("http is allowed only to a loopback address in demo mode; use https");
      }
      if (problem.isPresent()) {
        throw new Refused(
            "url '"
                + echo(uri.toString())
                + "' resolves to "
                + a.getHostAddress()
                + ": "
                + problem.get());
      }
      allowed.add(a);
    }
    return allowed;
  }

  /**
   * Checks a call about to be made to {@code uri} (a connector's request to an account's endpoint
   * or webhook URL): an http(s) URL without user info whose host resolves only to addresses the
   * policy allows, and http only to a loopback address in demo mode. Unlike {@link #addresses}, the
   * messages name the host and the address, never the URL: a webhook URL's path is a secret.
   *
   * @param allowSwitch the operator switch named in a refusal of a private address
   * @throws Refused naming the host, the address and the rule
   */
  public void checkCall(URI uri, String allowSwitch) throws Refused {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      throw new Refused("a platform call must use https, got scheme '" + echo(scheme) + "'");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new Refused("a platform call needs a URL with a host");
    }
    if (uri.getRawUserInfo() != null) {
      throw new Refused("a platform call's URL must not hold user info");
    }
    String host = hostOf(uri);
    InetAddress[] all;
    try {
      all = resolver.resolve(host);
    } catch (UnknownHostException e) {
      all = null;
    }
    if (all == null || all.length == 0) {
      throw new Refused("the host '" + echo(host) + "' does not resolve");
    }
    for (InetAddress a : all) {
      Optional<String> problem = problem(a, allowSwitch);
      if (problem.isEmpty() && scheme.equals("http") && !(policy.demo() && a.isLoopbackAddress())) {
        problem = Optional.of("http is allowed only to a loopback address in demo mode; use https");
      }
      if (problem.isPresent()) {
        throw new Refused(
            "the host '"
                + echo(host)
                + "' resolves to "
                + a.getHostAddress()
                + ": "
                + problem.get());
      }
    }
  }

  /** Why a delivery may not connect to {@code a} under the policy, if it may not. */
  public Optional<String> problem(InetAddress a) {
    return problem(a, WEBHOOK_SWITCH);
  }

  /**
   * Why a call may not connect to {@code a} under the policy, if it may not; a refusal that the
   * operator can lift names {@code allowSwitch}.
   */
  private Optional<String> problem(InetAddress a, String allowSwitch) {
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      Optional<String> tunnel = embedded(b);
      if (tunnel != null) {
        return tunnel;
      }
    }
    if (a.isAnyLocalAddress() || (a instanceof Inet4Address && (b[0] & 0xff) == 0)) {
      return Optional.of("the unspecified address is never allowed");
    }
    if (a.isMulticastAddress() || (a instanceof Inet4Address && allOnes(b))) {
      return Optional.of("multicast and broadcast addresses are never allowed");
    }
    String special = specialPurpose(a);
    if (special != null) {
      return Optional.of(special + " addresses are never allowed");
    }
    if (a.isLoopbackAddress()) {
      return policy.demo() || policy.allowPrivate()
          ? Optional.empty()
          : Optional.of("loopback addresses are not allowed (" + allowSwitch + " allows them)");
    }
    String kind = privateKind(a);
    if (kind != null && !policy.allowPrivate()) {
      return Optional.of(kind + " addresses are not allowed (" + allowSwitch + " allows them)");
    }
    return Optional.empty();
  }

  /**
   * The verdict on an IPv6 address that carries an IPv4 address (see the rules above), or null when
   * {@code b} is not such a form.
   */
  private Optional<String> embedded(byte[] b) {
    if (prefix(b, 10, 0) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
      return via("IPv4-mapped", b, 12);
    }
    if (prefix(b, 12, 0) && !(prefix(b, 15, 0) && (b[15] & 0xff) <= 1)) {
      return Optional.of(
          "IPv4-compatible IPv6 addresses (::a.b.c.d, deprecated) are never allowed");
    }
    if (word(b, 0) == 0x0064 && word(b, 2) == 0xff9b && prefix(b, 8, 4)) {
      return via("NAT64", b, 12);
    }
    if (word(b, 0) == 0x2002) {
      return via("6to4", b, 2);
    }
    if (word(b, 0) == 0x2001 && word(b, 2) == 0x0000) {
      return Optional.of("Teredo addresses (2001::/32) are never allowed");
    }
    return null;
  }

  /** The verdict on the IPv4 address at {@code b[at..at+3]}, named as reached through a form. */
  private Optional<String> via(String form, byte[] b, int at) {
    InetAddress v4;
    try {
      v4 = InetAddress.getByAddress(Arrays.copyOfRange(b, at, at + 4));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are an IPv4 address", e);
    }
    return problem(v4).map(p -> form + " address of " + v4.getHostAddress() + ": " + p);
  }

  /** Whether the {@code n} bytes of {@code b} from {@code from} are all zero. */
  private static boolean prefix(byte[] b, int n, int from) {
    for (int i = from; i < from + n; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static int word(byte[] b, int at) {
    return ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
  }

  /** The special-purpose range {@code a} is in, when no receiver can live there. */
  private static String specialPurpose(InetAddress a) {
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int x = b[0] & 0xff;
      int y = b[1] & 0xff;
      int z = b[2] & 0xff;
      if (x == 192 && y == 0 && z == 0) {
        return "IETF protocol assignment (192.0.0.0/24)";
      }
      if (x == 198 && (y & 0xfe) == 18) {
        return "benchmarking (198.18.0.0/15)";
      }
      if (x >= 240) {
        return "reserved (240.0.0.0/4)";
      }
      if ((x == 192 && y == 0 && z == 2)
          || (x == 198 && y == 51 && z == 100)
          || (x == 203 && y == 0 && z == 113)) {
        return "documentation (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24)";
      }
      return null;
    }
    if (word(b, 0) == 0x2001 && word(b, 2) == 0x0db8) {
      return "documentation (2001:db8::/32)";
    }
    return null;
  }

  private static String privateKind(InetAddress a) {
    byte[] b = a.getAddress();
    if (a.isLinkLocalAddress()) {
      return "link-local";
    }
    if (a.isSiteLocalAddress()) {
      return "private";
    }
    if (a instanceof Inet4Address && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
      return "shared (carrier-grade NAT)";
    }
    if (a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc) {
      return "private (unique local)";
    }
    if (a instanceof Inet6Address
        && word(b, 0) == 0x0064
        && word(b, 2) == 0xff9b
        && word(b, 4) == 0x0001) {
      return "local-use NAT64 (64:ff9b:1::/48)";
    }
    return null;
  }

  private static boolean allOnes(byte[] b) {
    for (byte x : b) {
      if (x != (byte) 0xff) {
        return false;
      }
    }
    return true;
  }

  /** The host of {@code uri} without the brackets of an IPv6 literal. */
  public static String hostOf(URI uri) {
    String host = uri.getHost();
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }

  /** {@code s} cut to 200 characters, for echoing a caller's value in an error. */
  public static String echo(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }
}

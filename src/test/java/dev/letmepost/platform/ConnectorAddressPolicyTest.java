package dev.letmepost.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.Connector;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The address policy on connector URLs: an account's endpoint and a Discord or Slack webhook URL
 * are checked before every call of a connector made by {@link Connectors}; the sandbox, the
 * operator's own URL, is not.
 */
class ConnectorAddressPolicyTest {
  private static final String SLACK_SECRET_PATH =
      "/services/T0ABCDEF/B0ABCDEF/xoxb-secret-token-123";

  private MockWebServer server;
  private final PlatformHttp http =
      PlatformHttp.create(Duration.ofMillis(500), Duration.ofSeconds(2), Clock.systemUTC());

  @BeforeEach
  void setUp() throws IOException {
    server = new MockWebServer();
    server.start();
  }

  @AfterEach
  void tearDown() throws IOException {
    server.shutdown();
  }

  /**
   * Broke: a tenant's Mastodon account named an instance whose host resolves to the cloud metadata
   * address (169.254.169.254); the publisher called it. Now the call is refused before sending,
   * endpoint_not_allowed, naming host and address.
   */
  @Test
  void mastodonEndpointResolvingToALinkLocalAddressIsRefusedBeforeSending() {
    Connector mastodon =
        Connectors.forPlatform(
            Platform.MASTODON, http, null, guard(AddressGuard.Policy.STRICT, "169.254.169.254"));
    AccountAccess access =
        ConnectorTestKit.access(
            account("mastodon", "https://social.tenant.example", "env:MASTODON_TOKEN"), "tok");

    CallResult result = resultOf(() -> mastodon.publish(task("mastodon"), access));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(result.code()).isEqualTo(ErrorCodes.ENDPOINT_NOT_ALLOWED);
    assertThat(result.message())
        .contains("'social.tenant.example' resolves to 169.254.169.254: link-local addresses")
        .contains("--allow-private-endpoints")
        .doesNotContain("tok")
        .doesNotContain("env:MASTODON_TOKEN");
  }

  /**
   * Broke: a Slack webhook URL (the account's secret) pointing at an internal host was called. The
   * refusal names the host and address, never the secret path of the URL.
   */
  @Test
  void slackWebhookUrlResolvingToAPrivateAddressIsRefusedWithoutEchoingTheUrl() {
    Connector slack =
        Connectors.forPlatform(
            Platform.SLACK, http, null, guard(AddressGuard.Policy.STRICT, "10.20.30.40"));
    AccountAccess access =
        ConnectorTestKit.access(
            account("slack", null, "env:SLACK_WEBHOOK"),
            "https://hooks.internal.example" + SLACK_SECRET_PATH);

    CallResult result = resultOf(() -> slack.publish(task("slack"), access));

    assertThat(result.code()).isEqualTo(ErrorCodes.ENDPOINT_NOT_ALLOWED);
    assertThat(result.message())
        .contains("'hooks.internal.example' resolves to 10.20.30.40: private addresses")
        .doesNotContain("xoxb-secret-token-123")
        .doesNotContain("T0ABCDEF");
  }

  /** A Discord webhook URL in plain http is refused outside demo mode. */
  @Test
  void discordWebhookUrlOverPlainHttpIsRefused() {
    Connector discord =
        Connectors.forPlatform(
            Platform.DISCORD, http, null, guard(new AddressGuard.Policy(false, true), "8.8.8.8"));
    AccountAccess access =
        ConnectorTestKit.access(
            account("discord", null, "env:DISCORD_WEBHOOK"),
            "http://discord.example/api/webhooks/123456789/abcdefghijklmnopqrstuvwxyz");

    CallResult result = resultOf(() -> discord.publish(task("discord"), access));

    assertThat(result.code()).isEqualTo(ErrorCodes.ENDPOINT_NOT_ALLOWED);
    assertThat(result.message()).contains("http is allowed only to a loopback address");
  }

  /**
   * The operator's switch lets a private instance through: the call reaches it (here the fake
   * instance on the loopback address, over http in demo mode).
   */
  @Test
  void allowedPolicyLetsThePrivateInstanceBeCalled() throws Exception {
    server.enqueue(new MockResponse().setResponseCode(401).setBody("{\"error\":\"revoked\"}"));
    Connector mastodon =
        Connectors.forPlatform(
            Platform.MASTODON, http, null, guard(new AddressGuard.Policy(true, true), "127.0.0.1"));
    AccountAccess access =
        ConnectorTestKit.access(
            account("mastodon", server.url("/").toString(), "env:MASTODON_TOKEN"), "tok");

    CallResult result = resultOf(() -> mastodon.publish(task("mastodon"), access));

    assertThat(server.getRequestCount()).isEqualTo(1);
    assertThat(result.code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
  }

  /**
   * The demo's sandbox on 127.0.0.1 over http stays reachable under the strict policy: its URL is
   * the operator's, not an account's.
   */
  @Test
  void sandboxUrlIsNotCheckedAgainstThePolicy() {
    server.enqueue(new MockResponse().setResponseCode(503).setHeader("Retry-After", "1"));
    URI sandbox = URI.create(server.url("/").toString());
    Connector standIn =
        Connectors.forPlatform(
            Platform.MASTODON, http, sandbox, guard(AddressGuard.Policy.STRICT, "127.0.0.1"));
    AccountAccess access =
        new AccountAccess(account("mastodon", "https://x.example", "env:MASTODON_TOKEN"), null);

    resultOf(() -> standIn.publish(task("mastodon"), access));

    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  private static CallResult resultOf(Supplier<CallResult> call) {
    try {
      return call.get();
    } catch (CallFailure failure) {
      return failure.result();
    }
  }

  private static AddressGuard guard(AddressGuard.Policy policy, String address) {
    return new AddressGuard(policy, host -> new InetAddress[] {literal(address)});
  }

  private static InetAddress literal(String address) {
    try {
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(address, e);
    }
  }

  private static Account account(String platform, String endpoint, String credentials) {
    return new Account(
        "acc_1",
        "key_alice",
        platform,
        "@alice",
        Account.Status.connected,
        credentials,
        false,
        endpoint);
  }

  private static PublishTask task(String platform) {
    return ConnectorTestKit.task(platform, "acc_1").key("k1").text("hello").build();
  }
}

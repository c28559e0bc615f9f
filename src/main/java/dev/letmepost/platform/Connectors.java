package dev.letmepost.platform;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.platform.bluesky.BlueskyConnector;
import dev.letmepost.platform.discord.DiscordConnector;
import dev.letmepost.platform.linkedin.LinkedInConnector;
import dev.letmepost.platform.mastodon.MastodonConnector;
import dev.letmepost.platform.sandbox.SandboxConnector;
import dev.letmepost.platform.slack.SlackConnector;
import dev.letmepost.platform.telegram.TelegramConnector;
import dev.letmepost.platform.threads.ThreadsConnector;
import dev.letmepost.platform.x.XConnector;
import dev.letmepost.publish.Connector;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Platform;
import java.net.URI;

/** The connector registry: which {@link Connector} serves each platform. */
public final class Connectors {
  /** Where the sandbox platform listens unless told otherwise ({@code lmp sandbox}'s default). */
  public static final URI DEFAULT_SANDBOX_URL = URI.create("http://127.0.0.1:8090");

  private Connectors() {}

  /**
   * The connector for {@code platform}: its real API, or, when {@code sandboxUrl} is set, the
   * sandbox platform at that URL standing in for it (demo mode). The sandbox platform itself is
   * always served by the sandbox, at {@link #DEFAULT_SANDBOX_URL} when no URL is given. Calls to a
   * real API are checked against the strict address policy: see {@link #forPlatform(Platform,
   * PlatformHttp, URI, AddressGuard)}.
   */
  public static Connector forPlatform(Platform platform, PlatformHttp http, URI sandboxUrl) {
    return forPlatform(
        platform,
        http,
        sandboxUrl,
        new AddressGuard(AddressGuard.Policy.STRICT, AddressGuard.Resolver.SYSTEM));
  }

  /**
   * The connector for {@code platform}, as {@link #forPlatform(Platform, PlatformHttp, URI)}, whose
   * calls to a real API are checked against {@code guard} before every request: an account's
   * endpoint (a Mastodon instance, a Bluesky PDS) and a Discord or Slack webhook URL come from the
   * account, so may name any host. The sandbox's URL is the operator's choice and is not checked.
   */
  public static Connector forPlatform(
      Platform platform, PlatformHttp http, URI sandboxUrl, AddressGuard guard) {
    if (sandboxUrl != null) {
      return new SandboxConnector(platform, http.unguarded(), sandboxUrl);
    }
    PlatformHttp guarded = http.withGuard(guard);
    return switch (platform) {
      case MASTODON -> new MastodonConnector(guarded);
      case BLUESKY -> new BlueskyConnector(guarded);
      case LINKEDIN -> new LinkedInConnector(guarded);
      case TWITTER -> new XConnector(guarded);
      case THREADS -> new ThreadsConnector(guarded);
      case TELEGRAM -> new TelegramConnector(guarded);
      case DISCORD -> new DiscordConnector(guarded);
      case SLACK -> new SlackConnector(guarded);
      case SANDBOX -> new SandboxConnector(platform, http.unguarded(), DEFAULT_SANDBOX_URL);
    };
  }
}

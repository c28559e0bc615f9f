package dev.letmepost.platform;

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
   * always served by the sandbox, at {@link #DEFAULT_SANDBOX_URL} when no URL is given.
   */
  public static Connector forPlatform(Platform platform, PlatformHttp http, URI sandboxUrl) {
    if (sandboxUrl != null) {
      return new SandboxConnector(platform, http, sandboxUrl);
    }
    return switch (platform) {
      case MASTODON -> new MastodonConnector(http);
      case BLUESKY -> new BlueskyConnector(http);
      case LINKEDIN -> new LinkedInConnector(http);
      case TWITTER -> new XConnector(http);
      case THREADS -> new ThreadsConnector(http);
      case TELEGRAM -> new TelegramConnector(http);
      case DISCORD -> new DiscordConnector(http);
      case SLACK -> new SlackConnector(http);
      case SANDBOX -> new SandboxConnector(platform, http, DEFAULT_SANDBOX_URL);
    };
  }
}

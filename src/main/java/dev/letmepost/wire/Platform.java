package dev.letmepost.wire;

import dev.letmepost.wire.PlatformCapabilities.Counting;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

/**
 * A social platform the product publishes to, with its {@link PlatformCapabilities}: the text limit
 * and the media and first-comment rules the ledger checks before fanning a target out.
 *
 * <p>Each platform has its own producer topic {@code <prefix>publish.<name>}. Text length is
 * measured the way the platform measures it: code points for most, graphemes for Bluesky, the
 * weighted count of twitter-text for X.
 */
public enum Platform {
  TWITTER(
      "twitter",
      1,
      new PlatformCapabilities(
          280,
          Counting.TWITTER_WEIGHTED,
          4,
          false,
          false,
          "the x connector posts text only (media needs the upload endpoint first)",
          "the x connector does not post replies")),
  LINKEDIN(
      "linkedin",
      1,
      new PlatformCapabilities(
          3000,
          Counting.CODE_POINTS,
          20,
          false,
          false,
          "the linkedin connector posts text only (media needs an upload through the Images API"
              + " first)",
          "the linkedin connector does not post comments")),
  BLUESKY(
      "bluesky",
      4,
      new PlatformCapabilities(
          300,
          Counting.GRAPHEMES,
          4,
          false,
          false,
          "Bluesky takes images only as uploaded blobs (com.atproto.repo.uploadBlob), which this"
              + " connector does not make; nothing was posted",
          "this Bluesky connector does not post a first comment (a reply record); nothing was"
              + " posted")),
  MASTODON(
      "mastodon",
      1,
      new PlatformCapabilities(
          500,
          Counting.CODE_POINTS,
          4,
          false,
          false,
          "Mastodon takes media only as uploads (POST /api/v2/media), which this connector does"
              + " not make; nothing was posted",
          "this Mastodon connector does not post a first comment (a reply); nothing was posted")),
  THREADS(
      "threads",
      3,
      new PlatformCapabilities(
          500,
          Counting.CODE_POINTS,
          1,
          true,
          false,
          "the Threads connector posts at most one image (no carousels)",
          "the Threads connector does not post replies")),
  TELEGRAM(
      "telegram",
      1,
      new PlatformCapabilities(
          4096,
          Counting.CODE_POINTS,
          1,
          true,
          false,
          "the Telegram connector sends at most one photo (no albums)",
          "the Telegram connector sends one message only")),
  DISCORD(
      "discord",
      1,
      new PlatformCapabilities(
          2000,
          Counting.CODE_POINTS,
          10,
          true,
          false,
          "a Discord message takes at most 10 image embeds",
          "a Discord webhook cannot post a reply to its own message")),
  SLACK(
      "slack",
      1,
      new PlatformCapabilities(
          3000,
          Counting.CODE_POINTS,
          49,
          true,
          false,
          "a Slack message takes at most 49 image blocks besides its text (50 blocks, one kept for"
              + " the text)",
          "a Slack incoming webhook cannot reply to its own message")),
  SANDBOX(
      "sandbox",
      1,
      new PlatformCapabilities(
          10_000,
          Counting.CODE_POINTS,
          10,
          true,
          true,
          "the sandbox takes at most 10 media",
          null));

  /**
   * The longest one platform request may take over the whole exchange (connect, TLS, write, read,
   * body): the publisher's connect timeout plus its request timeout, which {@code lmp publisher}
   * refuses to set higher, and which PlatformHttp enforces as each request's deadline.
   */
  public static final Duration MAX_REQUEST_TIME = Duration.ofSeconds(25);

  private final String wireName;
  private final int maxRequestsPerCall;
  private final PlatformCapabilities capabilities;

  Platform(String wireName, int maxRequestsPerCall, PlatformCapabilities capabilities) {
    this.wireName = wireName;
    this.maxRequestsPerCall = maxRequestsPerCall;
    this.capabilities = capabilities;
  }

  /**
   * The most requests one publish or reconcile of this platform's connector makes, one after the
   * other (Bluesky: a session, the post, a renewed session, the post again; Threads: a container,
   * its status, the publish). The connector's {@code requestsPerCall()} is never more
   * (PlatformCallTimeTest).
   */
  public int maxRequestsPerCall() {
    return maxRequestsPerCall;
  }

  /**
   * The longest one call of this platform's connector can last: {@link #maxRequestsPerCall()}
   * requests of at most {@link #MAX_REQUEST_TIME} each. An outcome can reach the ledger this long
   * (plus the publisher's commit) after the last call a worker started before the target's
   * deadline, so the ledger's outcome grace may not be shorter.
   */
  public Duration longestCallTime() {
    return MAX_REQUEST_TIME.multipliedBy(maxRequestsPerCall);
  }

  /** The platform whose call can last longest, whose {@link #longestCallTime()} bounds them all. */
  public static Platform slowest() {
    return Arrays.stream(values())
        .max(Comparator.comparing(Platform::longestCallTime))
        .orElseThrow();
  }

  /** The name used on the wire, in topic names and in the envelope. */
  public String wireName() {
    return wireName;
  }

  /** What this platform can take: text limit and counting, media, first comment. */
  public PlatformCapabilities capabilities() {
    return capabilities;
  }

  public int textLimit() {
    return capabilities.textLimit();
  }

  /** The length of {@code text} as this platform counts it. */
  public int length(String text) {
    return capabilities.length(text);
  }

  /** Looks a platform up by its wire name; {@code x} is accepted for twitter. */
  public static Optional<Platform> byName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("x")) {
      return Optional.of(TWITTER);
    }
    return Arrays.stream(values()).filter(p -> p.wireName.equals(n)).findFirst();
  }
}

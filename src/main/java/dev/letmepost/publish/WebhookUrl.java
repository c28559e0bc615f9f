package dev.letmepost.publish;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A webhook URL that is itself the credential (Discord's, Slack's incoming webhooks), with the
 * means to cut every secret part of it out of a message.
 */
public final class WebhookUrl {
  private static final Logger log = LoggerFactory.getLogger(WebhookUrl.class);

  /*
   * What is secret. The whole URL, its path and query, and every path segment of at least
   * MIN_SECRET_SEGMENT characters that is not one of the platform's fixed words: a real webhook
   * id has 9 to 20 characters, its token 24 to 68; cutting shorter strings ("v10", "123") would
   * garble status codes in messages. A platform's error page may echo any of these.
   */

  private static final String REDACTED = "<redacted>";
  private static final int MIN_SECRET_SEGMENT = 6;

  private final URI uri;
  private final List<String> secretParts;

  private WebhookUrl(URI uri, List<String> secretParts) {
    this.uri = uri;
    this.secretParts = secretParts;
  }

  /**
   * The secret as a webhook URL without its fragment, or null when it is not an http(s) URL with a
   * path. {@code publicSegments} are the path words that are not secret (e.g. {@code api}, {@code
   * webhooks}).
   */
  public static WebhookUrl parse(String value, Set<String> publicSegments) {
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      return null; // its message quotes the input: never print it
    }
    String scheme = uri.getScheme();
    if (scheme == null
        || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || uri.getHost() == null
        || uri.getRawPath() == null
        || uri.getRawPath().length() <= 1) {
      return null;
    }
    Set<String> parts = new LinkedHashSet<>();
    parts.add(value.strip());
    parts.add(uri.getRawPath());
    parts.add(uri.getPath());
    if (uri.getRawQuery() != null) {
      parts.add(uri.getRawQuery());
    }
    for (String segment : uri.getRawPath().split("/")) {
      if (segment.length() >= MIN_SECRET_SEGMENT && !publicSegments.contains(segment)) {
        parts.add(segment);
        parts.add(URLDecoder.decode(segment, StandardCharsets.UTF_8));
      }
    }
    List<String> longestFirst = new ArrayList<>(parts);
    longestFirst.removeIf(String::isEmpty);
    longestFirst.sort(Comparator.comparingInt(String::length).reversed());
    URI withoutFragment =
        URI.create(
            uri.getScheme()
                + "://"
                + uri.getRawAuthority()
                + uri.getRawPath()
                + (uri.getRawQuery() != null ? "?" + uri.getRawQuery() : ""));
    return new WebhookUrl(withoutFragment, List.copyOf(longestFirst));
  }

  /**
   * The webhook URL an account's secret holds, or the {@code account_disconnected} failure that
   * says why there is none; {@code kind} names it in messages, e.g. "Discord webhook URL".
   */
  public record FromAccount(WebhookUrl url, CallResult.Failed problem) {}

  /**
   * Reads {@code account}'s secret as a {@code kind}. A failure's message names the account only:
   * it reaches the tenant; the operator's credential reference goes to the log.
   */
  public static FromAccount fromAccount(
      AccountAccess account, Set<String> publicSegments, String kind) {
    String accountId = account.account().accountId();
    if (account.secret() == null) {
      log.warn(
          "account {} has no credentials ({}); it needs a {}",
          accountId,
          account.account().credentials(),
          kind);
      return new FromAccount(
          null,
          new CallResult.Failed(
              ErrorCodes.ACCOUNT_DISCONNECTED,
              "account " + accountId + " has no credentials; it needs a " + kind));
    }
    WebhookUrl url = parse(account.secretValue(), publicSegments);
    if (url == null) {
      log.warn(
          "credential {} of account {} is not an http(s) {}",
          account.secret().reference(),
          accountId,
          kind);
      return new FromAccount(
          null,
          new CallResult.Failed(
              ErrorCodes.ACCOUNT_DISCONNECTED,
              "the credentials of account " + accountId + " are not an http(s) " + kind));
    }
    return new FromAccount(url, null);
  }

  /** The URL to call (without fragment). */
  public URI uri() {
    return uri;
  }

  /** {@code result} with every secret part of the URL cut out of its message. */
  public CallResult redact(CallResult result) {
    return result.withMessage(this::redact);
  }

  /** {@code message} with every secret part of the URL cut out. */
  public String redact(String message) {
    String out = message;
    for (String part : secretParts) {
      out = out.replace(part, REDACTED);
    }
    return out;
  }

  @Override
  public String toString() {
    return "WebhookUrl[" + REDACTED + "]";
  }
}

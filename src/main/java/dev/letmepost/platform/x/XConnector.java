package dev.letmepost.platform.x;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.HttpConnector;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The X (Twitter) connector: publishes a text post through the X API v2 ({@code POST /2/tweets})
 * with the account's OAuth 2.0 user-context token. It has no reconciliation: X offers none.
 */
public final class XConnector extends HttpConnector {
  /*
   * The request. One POST to {endpoint}/2/tweets with {"text": ...}; X answers 201 with
   * {"data": {"id", "text", "edit_history_tweet_ids"}}. The token must be a user-context token
   * (OAuth 2.0 PKCE with tweet.write): an app-only bearer token is refused with 403
   * unsupported-authentication. Media needs the upload endpoint first and a first comment needs a
   * second post in reply; this connector makes neither, so such tasks are refused before any
   * request.
   *
   * Why there is no reconcile. X has no idempotency key and no lookup by anything we control: the
   * only way to find an earlier attempt would be to search the user's timeline by text, which the
   * lower API tiers cannot do and which cannot tell our post from one the user made by hand.
   * Re-sending is no lookup either: X refuses repeated text with 403 "You are not allowed to create
   * a Tweet with duplicate content." without naming the existing post. So reconcile stays the SPI
   * default (unknown), and a duplicate answer to publish is unknown too: the text is on the account,
   * but whether this task put it there cannot be told, and reporting it published would be a guess.
   *
   * The answers. 401: the token expired or was revoked. 403 comes in kinds told apart by the
   * problem's type and detail: duplicate content (unknown), the app or token not allowed to post
   * (client-forbidden/client-not-enrolled, unsupported-authentication, oauth1-permissions: the
   * account must be reconnected), anything else the platform refusing this post. 400 is an invalid
   * request. 429 comes with x-rate-limit-* headers and, for posting, the 24-hour app and user
   * windows x-app-limit-24hour-* and x-user-limit-24hour-*; the wait is until the latest reset of an
   * exhausted window (epoch seconds, read against the injected clock), else until
   * x-rate-limit-reset, else Retry-After. 5xx, a timeout, or a 2xx whose id cannot be read leave the
   * post possibly made: unclear.
   */

  /** X's public API. */
  public static final String DEFAULT_ENDPOINT = "https://api.x.com";

  static final String STATUS_URL = "https://x.com/i/web/status/";

  private static final Pattern POST_ID = Pattern.compile("[0-9]{1,19}");
  private static final Pattern TOO_LONG = Pattern.compile("(?i)too long|bit shorter|\\blength\\b");
  private static final Pattern DUPLICATE = Pattern.compile("(?i)duplicate content");
  private static final Pattern NOT_PERMITTED_TO_POST =
      Pattern.compile(
          "/problems/(client-forbidden|unsupported-authentication|oauth1-permissions)$");

  /** Rate-limit windows: remaining header → reset header (epoch seconds). */
  private static final Map<String, String> WINDOWS =
      Map.of(
          "x-rate-limit-remaining", "x-rate-limit-reset",
          "x-app-limit-24hour-remaining", "x-app-limit-24hour-reset",
          "x-user-limit-24hour-remaining", "x-user-limit-24hour-reset");

  public XConnector(PlatformHttp http) {
    super(Platform.TWITTER, http);
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    URI uri = URI.create(account.endpoint(DEFAULT_ENDPOINT) + "/2/tweets");
    String text = task.text() == null ? "" : task.text();
    HttpRequest request =
        PlatformHttp.postJson(uri, PlatformHttp.toJson(Map.of("text", text)))
            .header("Authorization", "Bearer " + account.secretValue())
            .build();
    String what = "x " + PlatformHttp.describe(request) + "/2/tweets";
    return scrub(classify(http.send(request), what), account.secretValue(), "***");
  }

  private CallResult classify(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    String body = response.body();
    JsonNode json = PlatformHttp.json(body);
    if (status >= 200 && status < 300) {
      String id = json == null ? "" : json.path("data").path("id").asText("");
      if (!POST_ID.matcher(id).matches()) {
        return new CallResult.Unclear(
            ErrorCodes.MALFORMED_RESPONSE,
            what + " answered " + status + " without a post id" + PlatformHttp.excerpt(body));
      }
      return new CallResult.Published(id, STATUS_URL + id);
    }
    if (status == 429) {
      return rateLimited(response, what);
    }
    // The problem's text classifies; the message a tenant sees says only how long the answer was.
    String problem = problem(json, body);
    String said = PlatformHttp.excerpt(body);
    if (status == 403) {
      if (DUPLICATE.matcher(text(json, "detail")).find()) {
        return new CallResult.Unknown(
            what
                + " refused the text as duplicate content without naming the existing post;"
                + " whether this task posted it cannot be told"
                + said);
      }
      if (NOT_PERMITTED_TO_POST.matcher(text(json, "type")).find()) {
        return new CallResult.Failed(
            ErrorCodes.ACCOUNT_DISCONNECTED,
            what
                + " answered 403: the app or token may not post for this user; reconnect the"
                + " account with a user-context token"
                + said);
      }
    }
    if ((status == 400 || status == 403) && TOO_LONG.matcher(problem).find()) {
      return new CallResult.Failed(
          ErrorCodes.TEXT_TOO_LONG, what + " answered " + status + ": text too long" + said);
    }
    return otherAnswer(response, what, "post");
  }

  private CallResult rateLimited(HttpResponse<String> response, String what) {
    Instant until = null;
    String window = null;
    for (Map.Entry<String, String> w : WINDOWS.entrySet()) {
      Instant reset = PlatformHttp.epochSeconds(response, w.getValue());
      if (reset != null
          && "0".equals(response.headers().firstValue(w.getKey()).orElse("").trim())
          && (until == null || reset.isAfter(until))) {
        until = reset;
        window = w.getValue();
      }
    }
    if (until == null) {
      until = PlatformHttp.epochSeconds(response, "x-rate-limit-reset");
      window = until == null ? null : "x-rate-limit-reset";
    }
    Duration wait;
    String hint;
    if (until != null) {
      wait = http.until(until);
      hint = " (" + window + " " + until.getEpochSecond() + ", in " + wait.toSeconds() + " s)";
    } else {
      wait = http.retryAfter(response);
      hint = wait == null ? "" : " (Retry-After " + wait.toSeconds() + " s)";
    }
    return new CallResult.NotSent(
        ErrorCodes.RATE_LIMITED,
        what + " answered 429 Too Many Requests" + hint + PlatformHttp.excerpt(response.body()),
        wait);
  }

  /**
   * {@code ": title: detail (reason) [first error message]"} from X's problem body, or the body's
   * excerpt when it is not one.
   */
  private static String problem(JsonNode json, String body) {
    if (json == null || !json.isObject()) {
      return PlatformHttp.excerpt(body);
    }
    StringBuilder out = new StringBuilder();
    append(out, text(json, "title"));
    append(out, text(json, "detail"));
    if (!text(json, "reason").isEmpty()) {
      out.append(" (").append(text(json, "reason")).append(")");
    }
    for (JsonNode error : json.path("errors")) {
      append(out, error.path("message").asText(""));
    }
    return out.length() == 0 ? PlatformHttp.excerpt(body) : out.toString();
  }

  private static void append(StringBuilder out, String part) {
    if (!part.isBlank()) {
      out.append(": ").append(part.strip());
    }
  }

  private static String text(JsonNode json, String field) {
    return json == null ? "" : json.path(field).asText("");
  }
}

package dev.letmepost.platform.discord;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.Connector;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.publish.WebhookUrl;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The connector for Discord channel webhooks: posts a task as one message through the webhook URL
 * the account's secret holds, and reads the created message back ({@code ?wait=true}).
 */
public final class DiscordConnector implements Connector {
  /*
   * The credential. A Discord webhook URL (https://discord.com/api/webhooks/{id}/{token}) is both
   * the address and the secret: whoever has it can post. So the whole URL is the account's
   * secret, account.endpoint() is ignored, and no message of ours may hold the URL or a part of
   * its path. PlatformHttp already names requests by method and host only; answers we quote
   * (Discord's error JSON, a proxy's HTML page that echoes the path) go through WebhookUrl.redact,
   * which cuts out the URL, its path, its query and each path segment that could be the id or
   * the token.
   *
   * The request. POST <webhook>?wait=true with {"content": text, "embeds": [{"image": {"url"}}]}.
   * Without wait=true Discord answers 204 before the message is saved and "a message that is not
   * saved does not return an error", so there would be neither a post id nor a proof of
   * success. An existing query (thread_id=...) is kept; an existing wait parameter is replaced.
   * Media go as image embeds by URL, at most 10 per message (the documented embed limit); Discord
   * fetches them itself. Embed images have no alt-text field, so a media item's altText is not
   * sent. A first comment would be a second message that the webhook cannot thread under the
   * first: unsupported, refused before any request.
   *
   * The answer. 200 with the message object is Published: its id, and a link when guild_id and
   * channel_id are present (webhooks belong to guild channels, but the message object only
   * sometimes carries guild_id). A 2xx without a readable id (204, a truncated body) probably
   * posted: Unclear. 429 is NotSent with the body's retry_after (float seconds, the precise
   * value) or else the Retry-After header. 401 (Invalid Webhook Token, 50027) and 404 (Unknown
   * Webhook, 10015) mean the webhook was deleted or its token regenerated: the account must be
   * reconnected. 400 is a validation refusal (50035 Invalid Form Body); a content field over
   * the length limit (BASE_TYPE_MAX_LENGTH) is text_too_long. 5xx and anything unexpected after
   * the request was sent is Unclear: being wrong in that direction costs an `unknown`, the other
   * way a double post.
   *
   * Reconcile. Webhooks take no idempotency key, and looking a message up needs its id, which
   * is what a lost answer lost. So reconcile stays the SPI's default: unknown.
   */

  private static final String FORM_ERROR_TOO_LONG = "BASE_TYPE_MAX_LENGTH";

  /** The webhook URL's path words that are not secret. */
  private static final Set<String> PUBLIC_SEGMENTS = Set.of("api", "webhooks");

  private final PlatformHttp http;

  public DiscordConnector(PlatformHttp http) {
    this.http = Objects.requireNonNull(http, "http");
  }

  @Override
  public Platform platform() {
    return Platform.DISCORD;
  }

  @Override
  public CallResult publish(PublishTask task, AccountAccess account) {
    Optional<CallResult.Failed> unsupported = Connector.unsupportedContent(platform(), task);
    if (unsupported.isPresent()) {
      return unsupported.get();
    }
    WebhookUrl.FromAccount fromAccount =
        WebhookUrl.fromAccount(account, PUBLIC_SEGMENTS, "Discord webhook URL");
    if (fromAccount.problem() != null) {
      return fromAccount.problem();
    }
    WebhookUrl hook = fromAccount.url();
    HttpRequest request =
        HttpRequest.newBuilder(executeUri(hook.uri()))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body(task), StandardCharsets.UTF_8))
            .build();
    String what = PlatformHttp.describe(request);
    HttpResponse<String> response = http.send(request);
    return hook.redact(classify(response, what, account));
  }

  private static String body(PublishTask task) {
    Map<String, Object> body = new LinkedHashMap<>();
    if (task.text() != null && !task.text().isEmpty()) {
      body.put("content", task.text());
    }
    if (!task.media().isEmpty()) {
      List<Object> embeds = new ArrayList<>();
      for (PublishTask.Media media : task.media()) {
        embeds.add(Map.of("image", Map.of("url", media.url())));
      }
      body.put("embeds", embeds);
    }
    return PlatformHttp.toJson(body);
  }

  private CallResult classify(HttpResponse<String> response, String what, AccountAccess account) {
    int status = response.statusCode();
    String body = response.body();
    if (status >= 200 && status < 300) {
      return published(status, body, what);
    }
    JsonNode error = PlatformHttp.json(body);
    if (status == 429) {
      boolean global = error != null && error.path("global").asBoolean(false);
      return new CallResult.NotSent(
          ErrorCodes.RATE_LIMITED,
          what
              + " answered 429 Too Many Requests"
              + (global ? " (global limit)" : "")
              + PlatformHttp.excerpt(body),
          retryAfter(error, response));
    }
    if (status == 401 || status == 404) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          what
              + " answered "
              + status
              + ": the webhook was deleted or its token reset; reconnect account "
              + account.account().accountId()
              + PlatformHttp.excerpt(body));
    }
    if (status == 400 && contentTooLong(error)) {
      return new CallResult.Failed(
          ErrorCodes.TEXT_TOO_LONG,
          what + " refused the content as too long (400)" + PlatformHttp.excerpt(body));
    }
    if (status >= 400 && status < 500) {
      return new CallResult.Failed(
          ErrorCodes.REJECTED_BY_PLATFORM,
          what + " refused the message (" + status + ")" + PlatformHttp.excerpt(body));
    }
    Optional<CallResult> common = http.commonFailure(response, what);
    if (common.isPresent()) {
      return common.get();
    }
    return new CallResult.Unclear(
        ErrorCodes.PLATFORM_ERROR,
        what
            + " answered unexpected status "
            + status
            + " after the request was sent"
            + PlatformHttp.excerpt(body));
  }

  private static CallResult published(int status, String body, String what) {
    JsonNode message = PlatformHttp.json(body);
    String id = snowflake(message, "id");
    if (id == null) {
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE,
          what
              + " answered "
              + status
              + " without a message id, so the message probably exists"
              + PlatformHttp.excerpt(body));
    }
    String channel = snowflake(message, "channel_id");
    String guild = snowflake(message, "guild_id");
    String uri =
        channel != null && guild != null
            ? "https://discord.com/channels/" + guild + "/" + channel + "/" + id
            : null;
    return new CallResult.Published(id, uri);
  }

  /** A snowflake field of {@code node} (a string of digits), or null. */
  private static String snowflake(JsonNode node, String field) {
    if (node == null || !node.isObject()) {
      return null;
    }
    JsonNode value = node.get(field);
    if (value == null || !(value.isTextual() || value.isIntegralNumber())) {
      return null;
    }
    String text = value.asText();
    return text.matches("[0-9]{1,25}") ? text : null;
  }

  /** The body's {@code retry_after} (seconds, fractional), else the Retry-After header. */
  private Duration retryAfter(JsonNode error, HttpResponse<String> response) {
    if (error != null && error.path("retry_after").isNumber()) {
      double seconds = error.path("retry_after").asDouble();
      if (seconds >= 0) {
        return Duration.ofMillis(Math.round(seconds * 1000));
      }
    }
    return http.retryAfter(response);
  }

  /**
   * Whether a 400 names a content field over its length limit: {@code {"code": 50035, "errors":
   * {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", ...}]}}}}.
   */
  private static boolean contentTooLong(JsonNode error) {
    if (error == null) {
      return false;
    }
    for (JsonNode e : error.path("errors").path("content").path("_errors")) {
      if (FORM_ERROR_TOO_LONG.equals(e.path("code").asText())) {
        return true;
      }
    }
    return false;
  }

  /** A webhook URL taken apart: where to post, and which strings must never be printed. */

  /** The webhook with {@code wait=true} as its only wait parameter. */
  static URI executeUri(URI uri) {
    List<String> params = new ArrayList<>();
    if (uri.getRawQuery() != null) {
      for (String param : uri.getRawQuery().split("&")) {
        if (!param.isEmpty() && !param.equals("wait") && !param.startsWith("wait=")) {
          params.add(param);
        }
      }
    }
    params.add("wait=true");
    return URI.create(
        uri.getScheme()
            + "://"
            + uri.getRawAuthority()
            + uri.getRawPath()
            + "?"
            + String.join("&", params));
  }
}

package dev.letmepost.platform.slack;

import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.Connector;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The connector for Slack incoming webhooks: posts a task as one message through the webhook URL
 * the account's secret holds ({@code https://hooks.slack.com/services/T…/B…/…}).
 */
public final class SlackConnector implements Connector {
  /*
   * The credential. An incoming-webhook URL is both the address and the secret, so the whole URL
   * is the account's secret, account.endpoint() is ignored, and no message of ours may hold the
   * URL or a part of its path. PlatformHttp names requests by method and host only; what we
   * quote from an answer goes through Webhook.redact, which cuts out the URL, its path and each
   * path segment long enough to be a team, hook or token id.
   *
   * The request. POST <webhook> with {"text": text}. With media, image blocks carry the URLs
   * (alt_text is required: the media's altText, else "image"). Once a message has blocks Slack
   * shows the blocks and uses the top-level text only as the notification fallback, so the text
   * is also sent as the first block, a mrkdwn section (3,000 characters, Slack's limit per
   * section and the ledger's limit for Slack). A message takes at most 50 blocks: 49 images.
   * A first comment would need the posted message's ts, which a webhook never returns:
   * unsupported, refused before any request.
   *
   * The answer. Slack answers plain strings, not JSON. 200 "ok" is Published, with neither id nor
   * link (Slack returns none). 200 with anything else is Unclear: the message may exist. 429 is
   * NotSent with Retry-After. The strings that say the webhook itself is dead (no_service,
   * no_team, team_disabled, invalid_token, no_active_hooks) or its channel gone or barred to it
   * (channel_not_found, action_prohibited) need a new webhook: account_disconnected, as does any
   * other 401/403/404. channel_is_archived (410) and 400 validation strings (invalid_payload,
   * no_text, invalid_blocks, too_many_attachments, ...) are rejected_by_platform. 500
   * rollup_error and other 5xx are Unclear ("likely not your fault", but maybe after posting).
   * Every message quotes Slack's string.
   *
   * Reconcile. Incoming webhooks take no idempotency key and offer no lookup: reconcile stays
   * the SPI's default, unknown.
   */

  /** The most blocks a Slack message takes. */
  static final int MAX_BLOCKS = 50;

  /** Image blocks one task may send: one block is kept for the text. */
  static final int MAX_IMAGES = MAX_BLOCKS - 1;

  private static final Set<String> WEBHOOK_GONE =
      Set.of(
          "no_service",
          "no_team",
          "team_disabled",
          "invalid_token",
          "no_active_hooks",
          "channel_not_found",
          "action_prohibited");

  private final PlatformHttp http;

  public SlackConnector(PlatformHttp http) {
    this.http = Objects.requireNonNull(http, "http");
  }

  @Override
  public Platform platform() {
    return Platform.SLACK;
  }

  @Override
  public CallResult publish(PublishTask task, AccountAccess account) {
    String accountId = account.account().accountId();
    if (task.firstComment() != null && !task.firstComment().isBlank()) {
      return new CallResult.Failed(
          ErrorCodes.UNSUPPORTED_CONTENT,
          "task "
              + task.taskId()
              + " has a first comment; a Slack incoming webhook cannot reply to its own message");
    }
    if (task.media().size() > MAX_IMAGES) {
      return new CallResult.Failed(
          ErrorCodes.UNSUPPORTED_CONTENT,
          "task "
              + task.taskId()
              + " has "
              + task.media().size()
              + " media; a Slack message takes at most "
              + MAX_IMAGES
              + " image blocks besides its text");
    }
    if (account.secret() == null) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          "account "
              + accountId
              + " has no credentials ("
              + account.account().credentials()
              + "); it needs a Slack incoming-webhook URL");
    }
    Webhook hook = Webhook.parse(account.secretValue());
    if (hook == null) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          "credential "
              + account.secret().reference()
              + " of account "
              + accountId
              + " is not an http(s) Slack incoming-webhook URL");
    }
    HttpRequest request =
        HttpRequest.newBuilder(hook.uri())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body(task), StandardCharsets.UTF_8))
            .build();
    String what = PlatformHttp.describe(request);
    HttpResponse<String> response = http.send(request);
    return hook.redact(classify(response, what, account));
  }

  private static String body(PublishTask task) {
    boolean hasText = task.text() != null && !task.text().isEmpty();
    Map<String, Object> body = new LinkedHashMap<>();
    if (hasText) {
      body.put("text", task.text());
    }
    if (!task.media().isEmpty()) {
      List<Object> blocks = new ArrayList<>();
      if (hasText) {
        blocks.add(
            Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", task.text())));
      }
      for (PublishTask.Media media : task.media()) {
        String alt =
            media.altText() != null && !media.altText().isBlank() ? media.altText() : "image";
        Map<String, Object> image = new LinkedHashMap<>();
        image.put("type", "image");
        image.put("image_url", media.url());
        image.put("alt_text", alt);
        blocks.add(image);
      }
      body.put("blocks", blocks);
    }
    return PlatformHttp.toJson(body);
  }

  private CallResult classify(HttpResponse<String> response, String what, AccountAccess account) {
    int status = response.statusCode();
    String body = response.body() == null ? "" : response.body().strip();
    if (status >= 200 && status < 300) {
      if (status == 200 && body.equals("ok")) {
        return new CallResult.Published(null, null);
      }
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE,
          what
              + " answered "
              + status
              + " without \"ok\", so the message may exist"
              + PlatformHttp.excerpt(body));
    }
    if (status == 429) {
      return http.commonFailure(response, what).orElseThrow();
    }
    String error = slackError(body);
    boolean clientError = status >= 400 && status < 500;
    if (clientError && "channel_is_archived".equals(error)) {
      return new CallResult.Failed(
          ErrorCodes.REJECTED_BY_PLATFORM,
          what + " refused the message (" + status + " " + error + ")");
    }
    if (clientError
        && ((error != null && WEBHOOK_GONE.contains(error))
            || status == 401
            || status == 403
            || status == 404)) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          what
              + " answered "
              + status
              + " "
              + (error != null ? error : "(no Slack error)")
              + ": the webhook was revoked or can no longer post to its channel; reconnect account "
              + account.account().accountId()
              + " (credential "
              + account.secret().reference()
              + ")"
              + (error != null ? "" : PlatformHttp.excerpt(body)));
    }
    if (clientError) {
      return new CallResult.Failed(
          ErrorCodes.REJECTED_BY_PLATFORM,
          what
              + " refused the message ("
              + status
              + " "
              + (error != null ? error : "(no Slack error)")
              + ")"
              + (error != null ? "" : PlatformHttp.excerpt(body)));
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

  /** The body when it is one of Slack's error strings ({@code channel_not_found}), else null. */
  private static String slackError(String body) {
    return body.matches("[a-z][a-z0-9_]{1,63}") ? body : null;
  }

  /** A webhook URL taken apart: where to post, and which strings must never be printed. */
  private record Webhook(URI uri, List<String> secretParts) {
    private static final Set<String> PUBLIC_SEGMENTS = Set.of("services");
    private static final String REDACTED = "<redacted>";

    /**
     * Path segments shorter than this are not cut out of messages (Slack's team and hook ids have 9
     * or more characters, the token 24; cutting short strings would garble status codes).
     */
    private static final int MIN_SECRET_SEGMENT = 6;

    /** The secret as a webhook URL, or null when it is not an http(s) URL with a path. */
    static Webhook parse(String value) {
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
        if (segment.length() >= MIN_SECRET_SEGMENT && !PUBLIC_SEGMENTS.contains(segment)) {
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
      return new Webhook(withoutFragment, List.copyOf(longestFirst));
    }

    /** {@code result} with every secret part of the URL cut out of its message. */
    CallResult redact(CallResult result) {
      if (result instanceof CallResult.Failed r) {
        return new CallResult.Failed(r.code(), redact(r.message()));
      }
      if (result instanceof CallResult.NotSent r) {
        return new CallResult.NotSent(r.code(), redact(r.message()), r.retryAfter());
      }
      if (result instanceof CallResult.Unclear r) {
        return new CallResult.Unclear(r.code(), redact(r.message()));
      }
      return result;
    }

    private String redact(String message) {
      String out = message;
      for (String part : secretParts) {
        out = out.replace(part, REDACTED);
      }
      return out;
    }
  }
}

package dev.letmepost.platform.slack;

import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.Connector;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.publish.WebhookUrl;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
   * quote from an answer goes through WebhookUrl.redact, which cuts out the URL, its path and each
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

  private static final Set<String> WEBHOOK_GONE =
      Set.of(
          "no_service",
          "no_team",
          "team_disabled",
          "invalid_token",
          "no_active_hooks",
          "channel_not_found",
          "action_prohibited");

  /** The webhook URL's path words that are not secret. */
  private static final Set<String> PUBLIC_SEGMENTS = Set.of("services");

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
    Optional<CallResult.Failed> unsupported = Connector.unsupportedContent(platform(), task);
    if (unsupported.isPresent()) {
      return unsupported.get();
    }
    WebhookUrl.FromAccount fromAccount =
        WebhookUrl.fromAccount(account, PUBLIC_SEGMENTS, "Slack incoming-webhook URL");
    if (fromAccount.problem() != null) {
      return fromAccount.problem();
    }
    WebhookUrl hook = fromAccount.url();
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
}

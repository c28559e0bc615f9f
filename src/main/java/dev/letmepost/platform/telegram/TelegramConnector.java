package dev.letmepost.platform.telegram;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.HttpConnector;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The connector for the Telegram Bot API: sends a task as one message ({@code sendMessage}), or as
 * one photo by URL with the text as its caption ({@code sendPhoto}), to the chat named by the
 * account's handle.
 */
public final class TelegramConnector extends HttpConnector {
  /*
   * The secret is in the URL. The Bot API takes the bot token as a path segment
   * (/bot<token>/sendMessage), so any message that named the URL would leak it. Messages here name
   * the method and the chat, never the URL; PlatformHttp's own messages name method and host
   * only; and every message is scrubbed of the token anyway, in case an answer echoes it. A token
   * with characters that cannot sit in a URL path is refused before any request: URI.create would
   * otherwise throw an exception quoting the whole URL.
   *
   * What an answer proves. Every answer is {"ok": bool, "result" | "error_code", "description",
   * "parameters"}. An error answer is a refusal, so it posted nothing: 429 is NotSent rate_limited
   * with parameters.retry_after (seconds; the Retry-After header as a fallback); 401, and 404 (what
   * the Bot API answers to a token it does not know), are account_disconnected; 403 (bot blocked,
   * kicked, not a member, not enough rights) is account_disconnected too, since the fix is on the
   * account's side; 400 is rejected_by_platform, or text_too_long for "message is too long" /
   * "message caption is too long", and names migrate_to_chat_id when a group became a supergroup.
   * A 5xx, a timeout or a 2xx that is not {"ok": true, "result": {"message_id"}} may come after
   * Telegram sent the message: Unclear.
   *
   * Reconciliation. The Bot API has no idempotency key and no way to look up a sent message by
   * anything the task carries (a bot cannot read a channel's history), so reconcile keeps the SPI
   * default: Unknown.
   *
   * The link. https://t.me/<username>/<message_id> opens a message of a public channel or
   * supergroup; a chat without a username (private groups, users) has no public link: uri null.
   * Captions are limited to 1,024 characters and messages to 4,096; Telegram counts after entity
   * parsing and trims whitespace, so the limit is left to Telegram's answer.
   */

  /** Telegram's public Bot API server. */
  public static final String DEFAULT_ENDPOINT = "https://api.telegram.org";

  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9:_-]+");
  private static final Pattern NUMERIC_CHAT = Pattern.compile("-?[0-9]{1,19}");
  private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_]+");

  public TelegramConnector(PlatformHttp http) {
    super(Platform.TELEGRAM, http);
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    String chat = account.account().handle();
    if (chat == null || chat.isBlank()) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_NOT_FOUND,
          "Telegram account "
              + account.account().accountId()
              + " has no handle; it must name the chat (@channel or a numeric chat id)");
    }
    String token = account.secretValue();
    if (!TOKEN.matcher(token).matches()) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          "the bot token of Telegram account "
              + account.account().accountId()
              + " has characters no Bot API token has; check its credentials");
    }
    boolean photo = task.media().size() == 1;
    String method = photo ? "sendPhoto" : "sendMessage";
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("chat_id", NUMERIC_CHAT.matcher(chat).matches() ? (Object) Long.valueOf(chat) : chat);
    if (photo) {
      body.put("photo", task.media().get(0).url());
      if (task.text() != null && !task.text().isEmpty()) {
        body.put("caption", task.text());
      }
    } else {
      body.put("text", task.text());
    }
    HttpRequest request =
        PlatformHttp.postJson(
                URI.create(account.endpoint(DEFAULT_ENDPOINT) + "/bot" + token + "/" + method),
                PlatformHttp.toJson(body))
            .build();
    String what =
        "Telegram " + method + " to chat " + chat + " (" + PlatformHttp.describe(request) + ")";

    HttpResponse<String> response;
    try {
      response = http.send(request);
    } catch (CallFailure e) {
      if (e.getMessage() != null && e.getMessage().contains(token)) {
        throw new CallFailure(scrub(e.result(), token, "<bot-token>"));
      }
      throw e;
    }
    return scrub(classify(response, what), token, "<bot-token>");
  }

  private CallResult classify(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    JsonNode body = PlatformHttp.json(response.body());
    String said = what + " answered " + status + PlatformHttp.excerpt(response.body());
    if (status / 100 == 2) {
      return published(body, said);
    }
    String description =
        body == null ? "" : body.path("description").asText("").toLowerCase(Locale.ROOT);
    if (status == 429) {
      return new CallResult.NotSent(
          ErrorCodes.RATE_LIMITED,
          said + "; nothing was sent",
          http.retryAfter(
              body == null ? null : body.path("parameters").get("retry_after"), response));
    }
    if (status == 401 || status == 404) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED, said + "; the bot token is unknown or revoked");
    }
    if (status == 403) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          said + "; the bot may not post in this chat (blocked, removed or lacking rights)");
    }
    if (status == 400) {
      if (description.contains("too long")) {
        return new CallResult.Failed(ErrorCodes.TEXT_TOO_LONG, said);
      }
      JsonNode migrated = body == null ? null : body.path("parameters").get("migrate_to_chat_id");
      if (migrated != null && migrated.isIntegralNumber()) {
        return new CallResult.Failed(
            ErrorCodes.REJECTED_BY_PLATFORM,
            said + "; the group is now chat " + migrated.asLong() + ", update the account handle");
      }
      return new CallResult.Failed(ErrorCodes.REJECTED_BY_PLATFORM, said);
    }
    var common = http.commonFailure(response, what);
    if (common.isPresent()) {
      return common.get();
    }
    if (status / 100 == 4) {
      return new CallResult.Failed(ErrorCodes.REJECTED_BY_PLATFORM, said);
    }
    return new CallResult.Unclear(
        ErrorCodes.MALFORMED_RESPONSE, said + ", an unexpected status; the message may exist");
  }

  private static CallResult published(JsonNode body, String said) {
    JsonNode result = body == null ? null : body.path("result");
    if (body == null
        || !body.path("ok").asBoolean(false)
        || result == null
        || !result.path("message_id").isIntegralNumber()) {
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE, said + ", not a sent message; the message may exist");
    }
    String messageId = String.valueOf(result.path("message_id").asLong());
    JsonNode username = result.path("chat").path("username");
    String uri =
        username.isTextual() && USERNAME.matcher(username.asText()).matches()
            ? "https://t.me/" + username.asText() + "/" + messageId
            : null;
    return new CallResult.Published(messageId, uri);
  }

  /** The content this connector cannot send: more than a photo by URL, or nothing at all. */
  @Override
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    return super.refusal(task, account).or(() -> emptyContent(task));
  }
}

package dev.letmepost.platform.mastodon;

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
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Mastodon connector: posts a task's text as a status with {@code POST /api/v1/statuses} on the
 * account's instance, under the task's platform idempotency key.
 */
public final class MastodonConnector extends HttpConnector {
  /*
   * Idempotency. Every attempt sends `Idempotency-Key: <task.platformIdempotencyKey()>`. Mastodon's
   * PostStatusService looks the key up (redis `idempotency:status:<account>:<key>`) before doing
   * anything and answers the status already made under it; so a repeated POST is both the retry
   * and the lookup, and reconcile() is that same POST.
   *
   * Caveat 1, the race. Mastodon writes the key *after* the status is saved and processed
   * (`redis.setex(..., 3_600, status.id)` at the end of the service). A repeat that arrives while
   * the first request is still being processed finds no key and makes a second status. The
   * connector cannot close that window; the worker does, by backing off at least 1 s before it
   * reconciles an Unclear call.
   *
   * Caveat 2, retention. Keys live 3,600 s. Past that, a repeated POST posts again. A key is
   * written no earlier than the task's first call, which the worker journals before calling and
   * passes as firstAttemptAt, nor earlier than the task's recordedAt; so while now <
   * max(firstAttemptAt, recordedAt) + RECONCILE_WINDOW the key, if it was ever written, is
   * certainly still held. Later than that reconcile answers Unknown instead of gambling on a
   * double post.
   *
   * Classification. 2xx with a status id → Published (id, url). 422 is validation (Mastodon's
   * `{"error":"Validation failed: Text character limit of 500 exceeded"}`) → Failed. 401 (token
   * invalid/revoked) and 403 (scope missing, login disabled, account suspended) → Failed
   * account_disconnected. 429 → NotSent rate_limited, waiting Retry-After or else until
   * X-RateLimit-Reset (an ISO-8601 timestamp in Mastodon's rack-attack answers). 503 with
   * Retry-After → NotSent; other 5xx → Unclear; a 2xx without a readable status → Unclear
   * malformed_response. Transport failures come from PlatformHttp already classified.
   *
   * In reconcile() the POST is the lookup: an answer that proves nothing (5xx, timeout, bad body)
   * is NotSent, "ask again later", which is safe because the repeat carries the same key. A 401 or
   * 403 there is Unknown: the post may exist and we can no longer look.
   *
   * The body sends `status` only; visibility is left to the account's default posting privacy.
   * Messages never contain the token: they quote status codes and body excerpts, and every
   * message is scrubbed of the token in case an instance echoes it.
   */

  /** The public API used when an account names no instance. */
  public static final String DEFAULT_ENDPOINT = "https://mastodon.social";

  /** How long after a task's recordedAt a repeated POST is certain to hit a held key. */
  static final Duration RECONCILE_WINDOW = Duration.ofMinutes(50);

  private static final String WHAT = "Mastodon POST /api/v1/statuses";

  public MastodonConnector(PlatformHttp http) {
    super(Platform.MASTODON, http);
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    String token = account.secretValue();
    HttpResponse<String> response = http.send(request(task, account, token));
    return scrub(classify(response, task), token, "[redacted]");
  }

  @Override
  public CallResult reconcile(PublishTask task, AccountAccess account) {
    return reconcile(task, account, Instant.ofEpochMilli(task.recordedAt()));
  }

  @Override
  public CallResult reconcile(PublishTask task, AccountAccess account, Instant firstAttemptAt) {
    Optional<CallResult> absent = neverSent(task, account);
    if (absent.isPresent()) {
      return absent.get();
    }
    Instant now = http.clock().instant();
    Instant recorded = Instant.ofEpochMilli(task.recordedAt());
    Instant firstCall = firstAttemptAt.isAfter(recorded) ? firstAttemptAt : recorded;
    Instant keySurelyHeldUntil = firstCall.plus(RECONCILE_WINDOW);
    if (now.isAfter(keySurelyHeldUntil)) {
      return new CallResult.Unknown(
          "Mastodon keeps an Idempotency-Key about 1 h; task "
              + task.taskId()
              + " was first attempted no earlier than "
              + firstCall
              + ", so a repeated POST at "
              + now
              + " could post twice; check account "
              + account.account().accountId()
              + " before posting again");
    }
    String token = account.secretValue();
    CallResult result;
    try {
      result = classify(http.send(request(task, account, token)), task);
    } catch (CallFailure failure) {
      result = failure.result();
    }
    return scrub(asLookup(result, account), token, "[redacted]");
  }

  /** The content this connector cannot send, or a status without text. */
  @Override
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    return super.refusal(task, account).or(() -> emptyContent(task));
  }

  private HttpRequest request(PublishTask task, AccountAccess account, String token) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", task.text());
    URI uri = URI.create(account.endpoint(DEFAULT_ENDPOINT) + "/api/v1/statuses");
    return PlatformHttp.postJson(uri, PlatformHttp.toJson(body))
        .header("Authorization", "Bearer " + token)
        .header("Idempotency-Key", task.platformIdempotencyKey())
        .header("Accept", "application/json")
        .build();
  }

  private CallResult classify(HttpResponse<String> response, PublishTask task) {
    int status = response.statusCode();
    String body = response.body();
    if (status >= 200 && status < 300) {
      JsonNode json = PlatformHttp.json(body);
      String id = text(json, "id");
      if (id == null) {
        return new CallResult.Unclear(
            ErrorCodes.MALFORMED_RESPONSE,
            WHAT
                + " answered "
                + status
                + " without a readable status id, so the status may exist"
                + PlatformHttp.excerpt(body));
      }
      String url = text(json, "url") != null ? text(json, "url") : text(json, "uri");
      return new CallResult.Published(id, url);
    }
    if (status == 429) {
      return new CallResult.NotSent(
          ErrorCodes.RATE_LIMITED,
          WHAT
              + " answered 429 Too Many Requests (X-RateLimit-Reset "
              + response.headers().firstValue("X-RateLimit-Reset").orElse("absent")
              + ")"
              + PlatformHttp.excerpt(body),
          rateLimitWait(response));
    }
    if (status == 403) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          WHAT
              + " refused the token (403: scope write:statuses missing, login disabled or account"
              + " suspended)"
              + PlatformHttp.excerpt(body));
    }
    Optional<CallResult> common = http.commonFailure(response, WHAT);
    if (common.isPresent()) {
      return common.get();
    }
    if (status == 422) {
      String error = Optional.ofNullable(text(PlatformHttp.json(body), "error")).orElse("");
      boolean tooLong = error.toLowerCase(Locale.ROOT).contains("character limit");
      return new CallResult.Failed(
          tooLong ? ErrorCodes.TEXT_TOO_LONG : ErrorCodes.REJECTED_BY_PLATFORM,
          WHAT
              + " refused task "
              + task.taskId()
              + " (422, "
              + task.text().codePointCount(0, task.text().length())
              + " code points)"
              + PlatformHttp.excerpt(body));
    }
    return new CallResult.Failed(
        ErrorCodes.REJECTED_BY_PLATFORM,
        WHAT + " answered " + status + " and posted nothing" + PlatformHttp.excerpt(body));
  }

  /** Turns a publish classification into what a lookup proved. */
  private static CallResult asLookup(CallResult result, AccountAccess account) {
    if (result instanceof CallResult.Unclear unclear) {
      return new CallResult.NotSent(
          unclear.code(),
          "reconcile got no usable answer, ask again (the repeat carries the same"
              + " Idempotency-Key): "
              + unclear.message());
    }
    if (result instanceof CallResult.Failed failed
        && failed.code().equals(ErrorCodes.ACCOUNT_DISCONNECTED)) {
      return cannotLookUp(failed.message(), account);
    }
    return result;
  }

  /** Retry-After when given, else the wait until Mastodon's ISO-8601 X-RateLimit-Reset. */
  private Duration rateLimitWait(HttpResponse<String> response) {
    Duration retryAfter = http.retryAfter(response);
    if (retryAfter != null) {
      return retryAfter;
    }
    Optional<String> reset = response.headers().firstValue("X-RateLimit-Reset");
    if (reset.isEmpty()) {
      return null;
    }
    try {
      return http.until(Instant.parse(reset.get().trim()));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String text(JsonNode json, String field) {
    if (json == null || !json.isObject()) {
      return null;
    }
    JsonNode value = json.get(field);
    return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
  }
}

package dev.letmepost.platform.bluesky;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.platform.bluesky.SessionCache.Opened;
import dev.letmepost.platform.bluesky.SessionCache.Session;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.HttpConnector;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Bluesky (AT Protocol) connector: opens an app-password session on the account's PDS and
 * creates the task's post as an {@code app.bsky.feed.post} record under a record key computed from
 * the task, which is what makes a retry safe.
 */
public final class BlueskyConnector extends HttpConnector {
  /*
   * Idempotency. AT Protocol has no idempotency key, but createRecord takes a client-chosen rkey
   * and a repository holds at most one record per (collection, rkey). The rkey is a TID computed
   * from the task alone (RecordKeys), so a second create for the same task cannot make a second
   * post: it hits the existing record. Today the PDS answers that with a generic 500
   * `InternalServerError` (bluesky-social/atproto#3718, indigo#873); a newer PDS names the
   * conflict with an explicit 4xx error (atproto PR #4728). Neither answer says whose record it
   * is, so neither is reported as Published by itself: the connector reads the record back with
   * getRecord, and only a record whose text is the task's text counts.
   *
   * Classification of createRecord. 2xx with a `uri` → Published(rkey, uri). A 5xx (other than
   * 503 with Retry-After) → getRecord: the record exists → Published, otherwise Unclear
   * platform_error (the worker reconciles; the rkey makes a later create safe). A 4xx naming an
   * existing record → getRecord: exists → Published, proven absent → Failed, else Unclear. 400
   * `InvalidRecord` for text over 300 graphemes → Failed text_too_long, other 4xx → Failed. 429 →
   * NotSent rate_limited, waiting until `ratelimit-reset` (epoch seconds) or Retry-After. A 2xx
   * without a uri → Unclear malformed_response. Read timeouts come from PlatformHttp as Unclear.
   *
   * Sessions. createSession {identifier: handle, password: app password} answers accessJwt,
   * refreshJwt and the account's DID. Sessions are cached per account identity (account id,
   * principal, handle, endpoint and a digest of the app password: see SessionCache), at most
   * 10,000; opening one is serialized per identity so that concurrent tasks of one account make
   * one createSession (its budget is small: 30 per 5 minutes). When a later call answers 401 or 400
   * `ExpiredToken`/`InvalidToken` the request was refused before anything was written, so the
   * connector opens a new session once and repeats that call; a session opened during this very
   * call is not renewed again. A new session is opened rather than refreshSession called: one code
   * path, and an app password is what the account stores anyway.
   *
   * A session that cannot be opened proves nothing was posted: never Unclear. 401 (or any 4xx:
   * wrong app password, `AccountTakedown`, `AuthFactorTokenRequired`) → Failed
   * account_disconnected; 429 → NotSent rate_limited; 5xx, timeouts, unreadable answers → NotSent
   * platform_unavailable.
   *
   * reconcile() is getRecord(repo=did, collection, rkey): 200 with the task's text → Published,
   * 400 `RecordNotFound` → Absent, anything else (it changed nothing) → NotSent so the worker
   * asks again; a record of different text → Unknown; credentials refused → Unknown (the post
   * may exist and we can no longer look).
   *
   * Secrets. Messages quote statuses, XRPC error names and body excerpts, never a body that holds
   * session tokens (a createSession 200 is described by its missing fields only); every message
   * is scrubbed of the app password and of the session tokens used in the call.
   */

  /** The public entryway used when an account names no PDS. */
  public static final String DEFAULT_ENDPOINT = "https://bsky.social";

  static final String COLLECTION = "app.bsky.feed.post";

  private static final String CREATE_SESSION = "com.atproto.server.createSession";
  private static final String CREATE_RECORD = "com.atproto.repo.createRecord";
  private static final String GET_RECORD = "com.atproto.repo.getRecord";
  private static final DateTimeFormatter CREATED_AT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final SessionCache sessions = new SessionCache();

  public BlueskyConnector(PlatformHttp http) {
    super(Platform.BLUESKY, http);
  }

  /** A session, the request, and once more both when the session was refused. */
  @Override
  public int requestsPerCall() {
    return 4;
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    Call call = new Call(account);
    return call.scrub(create(call, task, RecordKeys.forTask(task)));
  }

  @Override
  public CallResult reconcile(PublishTask task, AccountAccess account) {
    Optional<CallResult> absent = neverSent(task, account);
    if (absent.isPresent()) {
      return absent.get();
    }
    Call call = new Call(account);
    return call.scrub(lookup(call, task, RecordKeys.forTask(task)));
  }

  /** The content this connector cannot send, a post without text, or an account without handle. */
  @Override
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    Optional<CallResult.Failed> refused = super.refusal(task, account).or(() -> emptyContent(task));
    if (refused.isPresent()) {
      return refused;
    }
    String handle = account.account().handle();
    if (handle == null || handle.isBlank()) {
      return Optional.of(
          new CallResult.Failed(
              ErrorCodes.ACCOUNT_DISCONNECTED,
              "Bluesky account "
                  + account.account().accountId()
                  + " has no handle to open a session with; nothing was posted"));
    }
    return Optional.empty();
  }

  // ---- createRecord ----

  private CallResult create(Call call, PublishTask task, String rkey) {
    Answer answer = authenticated(call, session -> createRecord(call, session, task, rkey));
    if (answer.failure() != null) {
      return answer.failure();
    }
    HttpResponse<String> response = answer.response();
    int status = response.statusCode();
    String body = response.body();
    String what = "Bluesky " + CREATE_RECORD + " of rkey " + rkey;
    if (status >= 200 && status < 300) {
      String uri = text(PlatformHttp.json(body), "uri");
      if (uri == null) {
        return new CallResult.Unclear(
            ErrorCodes.MALFORMED_RESPONSE,
            what
                + " answered "
                + status
                + " without a readable uri, so the post may exist"
                + PlatformHttp.excerpt(body));
      }
      return new CallResult.Published(rkey, uri);
    }
    if (status == 429) {
      return rateLimited(what, response);
    }
    if (isAuthFailure(response)) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          what + " refused a fresh session (" + status + ")" + PlatformHttp.excerpt(body));
    }
    if (status >= 500
        && !(status == 503 && response.headers().firstValue("Retry-After").isPresent())) {
      CallResult found = lookup(call, task, rkey);
      if (found instanceof CallResult.Published) {
        return found;
      }
      return new CallResult.Unclear(
          ErrorCodes.PLATFORM_ERROR,
          what
              + " answered "
              + status
              + PlatformHttp.excerpt(body)
              + "; the post may exist and getRecord did not show it ("
              + describe(found)
              + ")");
    }
    if (status >= 400 && status < 500 && namesExistingRecord(status, body)) {
      CallResult found = lookup(call, task, rkey);
      if (found instanceof CallResult.Published) {
        return found;
      }
      if (found instanceof CallResult.Absent) {
        return new CallResult.Failed(
            ErrorCodes.REJECTED_BY_PLATFORM,
            what
                + " answered "
                + status
                + " that the record exists"
                + PlatformHttp.excerpt(body)
                + ", but getRecord finds none");
      }
      return new CallResult.Unclear(
          ErrorCodes.PLATFORM_ERROR,
          what
              + " answered "
              + status
              + " that the record exists"
              + PlatformHttp.excerpt(body)
              + "; getRecord could not confirm it ("
              + describe(found)
              + ")");
    }
    if (status == 403) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED, what + " answered 403" + PlatformHttp.excerpt(body));
    }
    Optional<CallResult> common = http.commonFailure(response, what);
    if (common.isPresent()) {
      return common.get();
    }
    JsonNode error = PlatformHttp.json(body);
    String message = Optional.ofNullable(text(error, "message")).orElse("");
    boolean tooLong =
        status == 400 && message.toLowerCase(Locale.ROOT).matches(".*text.*longer than.*");
    return new CallResult.Failed(
        tooLong ? ErrorCodes.TEXT_TOO_LONG : ErrorCodes.REJECTED_BY_PLATFORM,
        what + " refused task " + task.taskId() + " (" + status + ")" + PlatformHttp.excerpt(body));
  }

  private HttpRequest createRecord(Call call, Session session, PublishTask task, String rkey) {
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("$type", COLLECTION);
    record.put("text", task.text());
    record.put("createdAt", CREATED_AT.format(Instant.ofEpochMilli(task.recordedAt())));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("repo", session.did());
    body.put("collection", COLLECTION);
    body.put("rkey", rkey);
    body.put("record", record);
    return PlatformHttp.postJson(
            URI.create(call.endpoint + "/xrpc/" + CREATE_RECORD), PlatformHttp.toJson(body))
        .header("Authorization", "Bearer " + session.accessJwt())
        .header("Accept", "application/json")
        .build();
  }

  /** Whether a 4xx says the rkey is taken (explicit on a newer PDS; today's PDS answers 500). */
  private static boolean namesExistingRecord(int status, String body) {
    if (status == 409) {
      return true;
    }
    JsonNode json = PlatformHttp.json(body);
    String error = Optional.ofNullable(text(json, "error")).orElse("").toLowerCase(Locale.ROOT);
    String message = Optional.ofNullable(text(json, "message")).orElse("").toLowerCase(Locale.ROOT);
    return error.contains("exist")
        || error.contains("duplicate")
        || error.contains("conflict")
        || message.contains("already exists");
  }

  // ---- getRecord ----

  /** What getRecord proves about the task's record: Published, Absent, NotSent or Unknown. */
  private CallResult lookup(Call call, PublishTask task, String rkey) {
    String what = "Bluesky " + GET_RECORD + " of rkey " + rkey;
    Answer answer;
    try {
      answer = authenticated(call, session -> getRecord(call, session, rkey));
    } catch (CallFailure failure) {
      return new CallResult.NotSent(
          codeOf(failure.result()),
          what
              + " got no answer, ask again (a read changes nothing): "
              + describe(failure.result()));
    }
    if (answer.failure() != null) {
      if (answer.failure() instanceof CallResult.Failed failed) {
        return cannotLookUp(failed.message(), call.account);
      }
      return answer.failure();
    }
    HttpResponse<String> response = answer.response();
    int status = response.statusCode();
    String body = response.body();
    JsonNode json = PlatformHttp.json(body);
    if (status >= 200 && status < 300) {
      String uri = text(json, "uri");
      JsonNode value = json == null ? null : json.get("value");
      if (uri == null || value == null || !value.isObject()) {
        return new CallResult.NotSent(
            ErrorCodes.MALFORMED_RESPONSE,
            what
                + " answered "
                + status
                + " without a readable record"
                + PlatformHttp.excerpt(body));
      }
      if (!task.text().equals(text(value, "text"))) {
        return new CallResult.Unknown(
            "record "
                + uri
                + " holds other text than task "
                + task.taskId()
                + "; it is not this task's post and this rkey cannot be used; check account "
                + call.account.account().accountId());
      }
      return new CallResult.Published(rkey, uri);
    }
    if (status == 400 && "RecordNotFound".equals(text(json, "error"))) {
      return new CallResult.Absent(
          what + " found no record in " + answer.session().did() + PlatformHttp.excerpt(body));
    }
    if (status == 429) {
      return rateLimited(what, response);
    }
    if (isAuthFailure(response) || status == 403) {
      return cannotLookUp(
          what + " refused the session (" + status + ")" + PlatformHttp.excerpt(body),
          call.account);
    }
    return new CallResult.NotSent(
        status >= 500 ? ErrorCodes.PLATFORM_ERROR : ErrorCodes.PLATFORM_UNAVAILABLE,
        what + " answered " + status + ", ask again" + PlatformHttp.excerpt(body),
        http.retryAfter(response));
  }

  private HttpRequest getRecord(Call call, Session session, String rkey) {
    String query =
        "repo="
            + URLEncoder.encode(session.did(), StandardCharsets.UTF_8)
            + "&collection="
            + COLLECTION
            + "&rkey="
            + rkey;
    return HttpRequest.newBuilder(URI.create(call.endpoint + "/xrpc/" + GET_RECORD + "?" + query))
        .header("Authorization", "Bearer " + session.accessJwt())
        .header("Accept", "application/json")
        .GET()
        .build();
  }

  // ---- sessions ----

  /**
   * Sends the request {@code build} makes for a session, opening a new session once when the answer
   * refuses the access token. Transport failures of that request propagate.
   */
  private Answer authenticated(Call call, Function<Session, HttpRequest> build) {
    Opened opened = session(call, null);
    if (opened.failure() != null) {
      return new Answer(null, null, opened.failure());
    }
    HttpResponse<String> response = http.send(build.apply(opened.session()));
    if (!isAuthFailure(response) || opened.fresh()) {
      return new Answer(response, opened.session(), null);
    }
    Opened renewed = session(call, opened.session());
    if (renewed.failure() != null) {
      return new Answer(null, null, renewed.failure());
    }
    return new Answer(http.send(build.apply(renewed.session())), renewed.session(), null);
  }

  /** The account's cached session unless it is {@code stale}, else a new one. */
  private Opened session(Call call, Session stale) {
    Opened opened = sessions.session(call.identity, stale, () -> createSession(call));
    if (opened.session() != null && !opened.fresh()) {
      call.sensitive(opened.session());
    }
    return opened;
  }

  private Opened createSession(Call call) {
    String handle = call.account.account().handle();
    String what = "Bluesky " + CREATE_SESSION + " for " + handle;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("identifier", handle);
    body.put("password", call.password);
    HttpRequest request =
        PlatformHttp.postJson(
                URI.create(call.endpoint + "/xrpc/" + CREATE_SESSION), PlatformHttp.toJson(body))
            .header("Accept", "application/json")
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request);
    } catch (CallFailure failure) {
      return Opened.failed(
          new CallResult.NotSent(
              ErrorCodes.PLATFORM_UNAVAILABLE,
              "could not open a session, nothing was posted: " + describe(failure.result())));
    }
    int status = response.statusCode();
    String answer = response.body();
    if (status >= 200 && status < 300) {
      JsonNode json = PlatformHttp.json(answer);
      String access = text(json, "accessJwt");
      String refresh = text(json, "refreshJwt");
      String did = text(json, "did");
      if (access == null || did == null) {
        call.sensitive(access, refresh);
        return Opened.failed(
            new CallResult.NotSent(
                ErrorCodes.PLATFORM_UNAVAILABLE,
                what
                    + " answered "
                    + status
                    + " without "
                    + (json == null ? "a JSON body" : access == null ? "accessJwt" : "did")
                    + "; nothing was posted"));
      }
      Session session = new Session(call.endpoint, did, text(json, "handle"), access, refresh);
      call.sensitive(session);
      return new Opened(session, true, null);
    }
    if (status == 429) {
      return Opened.failed(rateLimited(what + " (nothing was posted)", response));
    }
    if (status >= 400 && status < 500) {
      return Opened.failed(
          new CallResult.Failed(
              ErrorCodes.ACCOUNT_DISCONNECTED,
              what
                  + " refused the app password ("
                  + status
                  + ")"
                  + PlatformHttp.excerpt(answer)
                  + "; nothing was posted"));
    }
    return Opened.failed(
        new CallResult.NotSent(
            ErrorCodes.PLATFORM_UNAVAILABLE,
            what + " answered " + status + "; nothing was posted" + PlatformHttp.excerpt(answer),
            http.retryAfter(response)));
  }

  /** 401, or the 400 `ExpiredToken`/`InvalidToken` a PDS answers for a stale access token. */
  private static boolean isAuthFailure(HttpResponse<String> response) {
    if (response.statusCode() == 401) {
      return true;
    }
    if (response.statusCode() != 400) {
      return false;
    }
    String error = text(PlatformHttp.json(response.body()), "error");
    return "ExpiredToken".equals(error) || "InvalidToken".equals(error);
  }

  // ---- helpers ----

  private CallResult.NotSent rateLimited(String what, HttpResponse<String> response) {
    return new CallResult.NotSent(
        ErrorCodes.RATE_LIMITED,
        what
            + " answered 429 (ratelimit-remaining "
            + response.headers().firstValue("ratelimit-remaining").orElse("absent")
            + ", ratelimit-reset "
            + response.headers().firstValue("ratelimit-reset").orElse("absent")
            + ")"
            + PlatformHttp.excerpt(response.body()),
        rateLimitWait(response));
  }

  /** The wait until Bluesky's {@code ratelimit-reset} (epoch seconds), else Retry-After. */
  private Duration rateLimitWait(HttpResponse<String> response) {
    Instant reset = PlatformHttp.epochSeconds(response, "ratelimit-reset");
    return reset != null ? http.until(reset) : http.retryAfter(response);
  }

  private static String codeOf(CallResult result) {
    return result.code() != null ? result.code() : ErrorCodes.PLATFORM_UNAVAILABLE;
  }

  /** {@code code: message}, or {@code absent: message} and {@code unknown: message}. */
  private static String describe(CallResult result) {
    if (result.message() == null) {
      return String.valueOf(result);
    }
    String label =
        result.code() != null
            ? result.code()
            : result.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    return label + ": " + result.message();
  }

  private static String text(JsonNode json, String field) {
    if (json == null || !json.isObject()) {
      return null;
    }
    JsonNode value = json.get(field);
    return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
  }

  /** An answer to an authenticated request and the session it used; or why none was sent. */
  private record Answer(HttpResponse<String> response, Session session, CallResult failure) {}

  /** One publish or reconcile: the account, its endpoint, and every secret the call touched. */
  private static final class Call {
    final AccountAccess account;
    final URI endpoint;
    final String password;
    final SessionCache.Identity identity;
    private final List<String> secrets = new ArrayList<>();

    Call(AccountAccess account) {
      this.account = account;
      this.endpoint = account.endpoint(DEFAULT_ENDPOINT);
      this.password = account.secretValue();
      this.identity =
          SessionCache.Identity.of(
              account.account().accountId(),
              account.account().principal(),
              account.account().handle(),
              endpoint,
              password);
      sensitive(password);
    }

    void sensitive(Session session) {
      sensitive(session.accessJwt(), session.refreshJwt());
    }

    void sensitive(String... values) {
      for (String value : values) {
        if (value != null && !value.isEmpty()) {
          secrets.add(value);
        }
      }
    }

    String clean(String message) {
      String out = message;
      for (String secret : secrets) {
        out = out.replace(secret, "[redacted]");
      }
      return out;
    }

    CallResult scrub(CallResult result) {
      return result.withMessage(this::clean);
    }
  }
}

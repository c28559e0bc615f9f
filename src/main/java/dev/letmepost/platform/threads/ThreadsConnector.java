package dev.letmepost.platform.threads;

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
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The connector for Meta's Threads API: publishes a text post, or one image by URL with its text,
 * in two steps (create a media container, then publish it) as the account's Threads user.
 */
public final class ThreadsConnector extends HttpConnector {
  /*
   * Two steps, two classifications. POST /{user-id}/threads only creates a media container: an
   * unpublished draft that expires after 24 hours and that nobody sees. Whatever happens to that
   * request (a 5xx, a read timeout, a connection lost after sending, an unreadable 2xx), no post
   * can exist, so every failure of step 1 is NotSent or Failed, never Unclear. A container left
   * behind by a retry is harmless: it expires. POST /{user-id}/threads_publish?creation_id= is
   * the step that posts, so from there on a timeout, a 5xx or an unreadable 2xx is Unclear and
   * the transport's CallFailure propagates as PlatformHttp classified it.
   *
   * Images. Threads fetches image_url itself and processes the container asynchronously; the docs
   * recommend waiting before publishing and offer GET /{container-id}?fields=status,error_message
   * (IN_PROGRESS / FINISHED / ERROR / EXPIRED / PUBLISHED). A connector may not sleep, so an image
   * container is checked once: FINISHED goes on to publish, IN_PROGRESS or EXPIRED is NotSent
   * (the retry makes a new container), ERROR is Failed with Threads' error_message. Nothing is
   * published before step 2, so a failed check is NotSent too. Text containers are ready at once
   * and are published without the check.
   *
   * Graph errors, {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}, are read
   * by code before HTTP status, because Graph answers most of them with a 400: 190 (token expired
   * or revoked) and 10 / 200-299 (permission missing) are account_disconnected; 4, 17, 32, 613 and
   * HTTP 429 are rate limits; 1 and 2 (Graph's "temporary, retry" codes) are transient. The
   * 250-posts-per-24-hours publishing quota is enforced by threads_publish, and Meta does not
   * document its error shape for Threads; Meta's Instagram publishing API reports it as subcode
   * 2207042, which is read here too. It is NotSent rate_limited, not Failed: the window rolls, a
   * later attempt before the target's deadline can succeed, and a refusal posted nothing. Its
   * retryAfter is null because Graph gives none; the worker's backoff and deadline bound it.
   *
   * Text length. Threads counts at most 500 characters with emoji counted as their UTF-8 bytes,
   * so a text over 500 code points is over the limit whatever it holds: refused here before any
   * request. Shorter texts that Threads still counts as too long are read from its error message.
   *
   * Auth. The user access token goes in "Authorization: Bearer", never in the URL; messages are
   * scrubbed of it anyway, in case an answer echoes it.
   *
   * Reconciliation. Threads has no idempotency key and no lookup by a client key. The container
   * status would tell PUBLISHED from FINISHED, but reconcile() gets only the task: the container id
   * created by the interrupted call is not known then. Listing the user's recent threads
   * (GET /{user-id}/threads?fields=id,text,timestamp) and matching the exact text with a timestamp
   * at or after task.recordedAt() could find the post, but it cannot prove absence: a publish that
   * timed out on our side may still be completing on Meta's, the listing may lag, and the user may
   * delete the post. Since Absent licenses a second post, reconcile keeps the SPI default, Unknown.
   */

  /** Threads' public API, as the docs give it. */
  public static final String DEFAULT_ENDPOINT = "https://graph.threads.net/v1.0";

  private static final Pattern USER_ID = Pattern.compile("[0-9]+|me");
  private static final Pattern CONTAINER_ID = Pattern.compile("[0-9A-Za-z_]+");
  private static final Set<Integer> RATE_LIMIT_CODES = Set.of(4, 17, 32, 613);
  private static final int PUBLISHING_LIMIT_SUBCODE = 2207042;
  private static final String ACCESS_TOKEN = "<access-token>";

  public ThreadsConnector(PlatformHttp http) {
    super(Platform.THREADS, http);
  }

  /** The media container, its status (for an image), and the publish step. */
  @Override
  public int requestsPerCall() {
    return 3;
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    String userId = account.account().handle() == null ? "me" : account.account().handle();
    if (!USER_ID.matcher(userId).matches()) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_NOT_FOUND,
          "Threads account "
              + account.account().accountId()
              + " has handle '"
              + userId
              + "', which is not a numeric Threads user id or 'me'");
    }
    String token = account.secretValue();
    URI base = account.endpoint(DEFAULT_ENDPOINT);
    try {
      return publishSteps(task, base, userId, token);
    } catch (CallFailure e) {
      if (containsSecret(e.getMessage(), token)) {
        throw new CallFailure(scrub(e.result(), token));
      }
      throw e;
    }
  }

  private CallResult publishSteps(PublishTask task, URI base, String userId, String token) {
    boolean image = task.media().size() == 1;
    StringBuilder form = new StringBuilder();
    form.append("media_type=").append(image ? "IMAGE" : "TEXT");
    if (image) {
      form.append("&image_url=").append(encode(task.media().get(0).url()));
    }
    if (task.text() != null && !task.text().isEmpty()) {
      form.append("&text=").append(encode(task.text()));
    }
    HttpRequest create =
        HttpRequest.newBuilder(URI.create(base + "/" + userId + "/threads"))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form.toString()))
            .build();
    String what = "Threads container " + PlatformHttp.describe(create);

    HttpResponse<String> created;
    try {
      created = http.send(create);
    } catch (CallFailure e) {
      return scrub(
          nothingPublished(e, "; a media container publishes nothing, so no post exists"), token);
    }
    String containerId = idOf(created);
    if (containerId == null) {
      return scrub(notSentFromContainerStep(created, what), token);
    }
    if (!CONTAINER_ID.matcher(containerId).matches()) {
      return new CallResult.NotSent(
          ErrorCodes.MALFORMED_RESPONSE,
          what + " answered container id '" + scrub(containerId, token) + "', which is not an id");
    }

    if (image) {
      CallResult notReady = checkContainer(base, containerId, token);
      if (notReady != null) {
        return scrub(notReady, token);
      }
    }

    HttpRequest publish =
        HttpRequest.newBuilder(
                URI.create(
                    base + "/" + userId + "/threads_publish?creation_id=" + encode(containerId)))
            .header("Authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> published = http.send(publish);
    String publishWhat =
        "Threads publish of container " + containerId + " " + PlatformHttp.describe(publish);
    String mediaId = idOf(published);
    if (mediaId != null) {
      return new CallResult.Published(mediaId, null);
    }
    return scrub(fromPublishStep(published, publishWhat), token);
  }

  /** Null when the image container is ready to publish, else why it is not (nothing posted). */
  private CallResult checkContainer(URI base, String containerId, String token) {
    HttpRequest status =
        HttpRequest.newBuilder(
                URI.create(base + "/" + containerId + "?fields=status,error_message"))
            .header("Authorization", "Bearer " + token)
            .GET()
            .build();
    String what =
        "Threads status of container " + containerId + " " + PlatformHttp.describe(status);
    HttpResponse<String> answer;
    try {
      answer = http.send(status);
    } catch (CallFailure e) {
      return nothingPublished(e, "; nothing was published");
    }
    JsonNode body = PlatformHttp.json(answer.body());
    String state =
        body != null && body.path("status").isTextual() ? body.path("status").asText() : null;
    if (answer.statusCode() / 100 != 2 || state == null) {
      return notSentFromContainerStep(answer, what);
    }
    switch (state) {
      case "FINISHED":
        return null;
      case "ERROR":
        return new CallResult.Failed(
            ErrorCodes.REJECTED_BY_PLATFORM,
            what
                + " is ERROR ("
                + body.path("error_message").asText("no error_message")
                + "): Threads could not process the image; nothing was published");
      default:
        return new CallResult.NotSent(
            ErrorCodes.PLATFORM_UNAVAILABLE,
            what + " is " + state + ", not FINISHED; nothing was published");
    }
  }

  /** The content this connector cannot send: more than an image by URL, none, or too long. */
  @Override
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    Optional<CallResult.Failed> refused = super.refusal(task, account).or(() -> emptyContent(task));
    if (refused.isPresent()) {
      return refused;
    }
    if (task.text() != null
        && !task.text().isBlank()
        && task.text().codePointCount(0, task.text().length()) > Platform.THREADS.textLimit()) {
      return Optional.of(
          new CallResult.Failed(
              ErrorCodes.TEXT_TOO_LONG,
              "task "
                  + task.taskId()
                  + " has "
                  + task.text().codePointCount(0, task.text().length())
                  + " characters; Threads takes at most "
                  + Platform.THREADS.textLimit()));
    }
    return Optional.empty();
  }

  /** Step 1 (or the status check) failed: whatever the answer, nothing was published. */
  private CallResult notSentFromContainerStep(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    GraphError error = GraphError.of(response.body());
    String said = " answered " + status + PlatformHttp.excerpt(response.body());
    if (status / 100 == 2) {
      return new CallResult.NotSent(
          ErrorCodes.MALFORMED_RESPONSE,
          what + said + " without the expected fields; a media container publishes nothing");
    }
    CallResult refusal = refusal(response, error, what + said);
    if (refusal != null) {
      return refusal;
    }
    if (status >= 500 || (error != null && (error.code == 1 || error.code == 2))) {
      return new CallResult.NotSent(
          ErrorCodes.PLATFORM_UNAVAILABLE,
          what + said + "; a media container publishes nothing",
          http.retryAfter(response));
    }
    return new CallResult.Failed(ErrorCodes.REJECTED_BY_PLATFORM, what + said);
  }

  /** Step 2 did not answer a media id: a refusal posted nothing, anything else may have. */
  private CallResult fromPublishStep(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    GraphError error = GraphError.of(response.body());
    String said = " answered " + status + PlatformHttp.excerpt(response.body());
    if (status / 100 == 2) {
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE, what + said + " without a media id; the post may exist");
    }
    CallResult refusal = refusal(response, error, what + said);
    if (refusal != null) {
      return refusal;
    }
    if (status >= 500 || (error != null && (error.code == 1 || error.code == 2))) {
      return new CallResult.Unclear(
          ErrorCodes.PLATFORM_ERROR, what + said + " after the request was sent");
    }
    if (status / 100 == 4) {
      return new CallResult.Failed(ErrorCodes.REJECTED_BY_PLATFORM, what + said);
    }
    return new CallResult.Unclear(
        ErrorCodes.MALFORMED_RESPONSE, what + said + ", an unexpected status; the post may exist");
  }

  /** The Graph refusals both steps read alike (auth, rate limits, content), or null. */
  private CallResult refusal(HttpResponse<String> response, GraphError error, String said) {
    int status = response.statusCode();
    int code = error == null ? -1 : error.code;
    if (code == 190 || code == 10 || (code >= 200 && code <= 299) || status == 401) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          said
              + "; reconnect the Threads account (token expired, revoked or missing a permission)");
    }
    if (status == 429
        || RATE_LIMIT_CODES.contains(code)
        || (error != null && error.subcode == PUBLISHING_LIMIT_SUBCODE)) {
      return new CallResult.NotSent(
          ErrorCodes.RATE_LIMITED, said + "; nothing was published", http.retryAfter(response));
    }
    if (error != null && error.mentionsLength()) {
      return new CallResult.Failed(ErrorCodes.TEXT_TOO_LONG, said);
    }
    if (code == 100) {
      return new CallResult.Failed(ErrorCodes.REJECTED_BY_PLATFORM, said);
    }
    return null;
  }

  private static String idOf(HttpResponse<String> response) {
    if (response.statusCode() / 100 != 2) {
      return null;
    }
    JsonNode body = PlatformHttp.json(response.body());
    if (body == null || body.has("error")) {
      return null;
    }
    JsonNode id = body.path("id");
    if (!(id.isTextual() || id.isIntegralNumber()) || id.asText().isBlank()) {
      return null;
    }
    return id.asText();
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /**
   * A request before the publish step got no answer: whatever the transport proved, nothing was
   * published, so it is NotSent (with the transport's wait, if it named one).
   */
  private static CallResult.NotSent nothingPublished(CallFailure failure, String why) {
    return new CallResult.NotSent(
        ErrorCodes.PLATFORM_UNAVAILABLE,
        failure.getMessage() + why,
        failure.result() instanceof CallResult.NotSent r ? r.retryAfter() : null);
  }

  private static boolean containsSecret(String message, String token) {
    return message != null && !token.isEmpty() && message.contains(token);
  }

  private static String scrub(String message, String token) {
    return token.isEmpty() ? message : message.replace(token, ACCESS_TOKEN);
  }

  private static CallResult scrub(CallResult result, String token) {
    return scrub(result, token, ACCESS_TOKEN);
  }

  /** The fields of a Graph API error body that classification reads. */
  private record GraphError(int code, int subcode, String message) {
    static GraphError of(String body) {
      JsonNode json = PlatformHttp.json(body);
      if (json == null || !json.path("error").isObject()) {
        return null;
      }
      JsonNode error = json.path("error");
      String message =
          (error.path("message").asText("") + " " + error.path("error_user_msg").asText(""))
              .strip();
      return new GraphError(
          error.path("code").asInt(-1), error.path("error_subcode").asInt(-1), message);
    }

    boolean mentionsLength() {
      String m = message.toLowerCase(Locale.ROOT);
      return m.contains("too long")
          || (m.contains("text") && m.contains("500"))
          || m.contains("character limit");
    }
  }
}

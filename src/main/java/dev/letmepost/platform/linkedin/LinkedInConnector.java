package dev.letmepost.platform.linkedin;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The LinkedIn connector: publishes a text post as a member or an organization through the
 * versioned Posts API ({@code POST /rest/posts}), and reconciles by sending the same post again.
 */
public final class LinkedInConnector extends HttpConnector {
  /*
   * The request. One POST to {endpoint}/rest/posts with the versioned-API headers LinkedIn requires
   * on every call (LinkedIn-Version: YYYYMM, X-Restli-Protocol-Version: 2.0.0). The author is the
   * account's handle, which must be a person or organization URN: anything else is refused before a
   * request, since LinkedIn would only answer 4xx. The commentary is in LinkedIn's "little" text
   * format, where \ | { } @ [ ] ( ) < > # * _ ~ are reserved (mentions, hashtags, templates); an
   * unescaped one makes LinkedIn cut the post at that character while still answering 201. Our text
   * is plain text, so every reserved character is backslash-escaped: a "#tag" is posted as the
   * literal text, not a hashtag element. Media and first comments need an upload and a second call
   * (comments API), which this connector does not make: such tasks are refused before any request.
   *
   * The answer. 201 carries the new post's URN in x-restli-id (the body is empty): published. A 201
   * without the header means the post almost certainly exists but we cannot name it: unclear, so
   * the worker reconciles. 401 and 403 (token expired or revoked, w_member_social or
   * w_organization_social missing, member not an admin of the organization) mean the account must
   * be reconnected. 429 is LinkedIn's throttle (per member and application per day): nothing was
   * posted. 5xx came after the request was sent: unclear.
   *
   * Duplicates, and why reconcile re-sends. LinkedIn refuses a post whose content repeats a recent
   * post of the same author with 422 and an inputErrors code DUPLICATE_POST, and its message names
   * the earlier post: "Content is a duplicate of urn:li:share:7141138937766391808". So the same
   * request is an idempotent lookup: if the first attempt landed, the repeat answers 422 naming it
   * (published, with the original's URN); if it never landed, the repeat makes it now (201,
   * published, once). Either way exactly one post exists afterwards. That is what reconcile does,
   * and why publish treats a duplicate answer as published too: a redelivered task whose first
   * attempt was lost finds its post instead of failing. A duplicate whose URN we cannot read is
   * unknown: the post exists but may not be ours, and we cannot name it.
   *
   * Limits of that reasoning, stated rather than hidden: LinkedIn does not document how long it
   * remembers content for duplicate detection, so a reconcile long after the first attempt could
   * post a second time; the worker reconciles promptly, within the task's deadline. A duplicate may
   * also be of a post the user made by hand with the same text (reported as published: the content
   * is on the account), or of a post since deleted (LinkedIn has been seen naming such URNs).
   *
   * In reconcile, an answer that would fail the target (401, 403, 400) proves nothing about the
   * first attempt, so it becomes unknown; a refusal made before any request (media, non-URN author)
   * proves no earlier attempt sent anything either, so it is absent and publish will refuse it.
   */

  /** LinkedIn's public API. */
  public static final String DEFAULT_ENDPOINT = "https://api.linkedin.com";

  /**
   * The Posts API version sent in {@code LinkedIn-Version}: July 2026. LinkedIn supports each
   * monthly version for at least a year and answers 426 once it is sunset; bump it then.
   */
  public static final String LINKEDIN_VERSION = "202607";

  static final String FEED_URL = "https://www.linkedin.com/feed/update/";

  private static final Pattern AUTHOR =
      Pattern.compile("urn:li:person:[A-Za-z0-9_-]+|urn:li:organization:[0-9]+");
  private static final Pattern POST_URN = Pattern.compile("urn:li:(?:share|ugcPost):[0-9]+");
  private static final Pattern DUPLICATE_OF =
      Pattern.compile("duplicate of (urn:li:(?:share|ugcPost):[0-9]+)");
  private static final Pattern TEXT_LENGTH =
      Pattern.compile("(?i)text length \\(\\d+ characters\\) exceeded");
  private static final String RESERVED = "\\|{}@[]()<>#*_~";

  public LinkedInConnector(PlatformHttp http) {
    super(Platform.LINKEDIN, http);
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    return scrub(send(task, account), account.secretValue(), "***");
  }

  @Override
  public CallResult reconcile(PublishTask task, AccountAccess account) {
    Optional<CallResult> absent = neverSent(task, account);
    if (absent.isPresent()) {
      return absent.get();
    }
    CallResult again = send(task, account);
    if (again instanceof CallResult.Failed failed) {
      again =
          new CallResult.Unknown(
              "re-sending task "
                  + task.taskId()
                  + " to find an earlier attempt was refused, so whether that attempt posted is"
                  + " unknown: "
                  + failed.code()
                  + ": "
                  + failed.message());
    }
    return scrub(again, account.secretValue(), "***");
  }

  /** The request body the Posts API takes for a text-only post by {@code author}. */
  static String body(String author, String text) {
    Map<String, Object> distribution = new LinkedHashMap<>();
    distribution.put("feedDistribution", "MAIN_FEED");
    distribution.put("targetEntities", List.of());
    distribution.put("thirdPartyDistributionChannels", List.of());
    Map<String, Object> post = new LinkedHashMap<>();
    post.put("author", author);
    post.put("commentary", escapeLittleText(text));
    post.put("visibility", "PUBLIC");
    post.put("distribution", distribution);
    post.put("lifecycleState", "PUBLISHED");
    post.put("isReshareDisabledByAuthor", false);
    return PlatformHttp.toJson(post);
  }

  /** {@code text} with each of little's reserved characters backslash-escaped, as plain text. */
  static String escapeLittleText(String text) {
    StringBuilder escaped = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (RESERVED.indexOf(c) >= 0) {
        escaped.append('\\');
      }
      escaped.append(c);
    }
    return escaped.toString();
  }

  /** The content this connector cannot send, or an author that is not a LinkedIn URN. */
  @Override
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    Optional<CallResult.Failed> unsupported = super.refusal(task, account);
    if (unsupported.isPresent()) {
      return unsupported;
    }
    String author = account.account().handle();
    if (author == null || !AUTHOR.matcher(author).matches()) {
      return Optional.of(
          new CallResult.Failed(
              ErrorCodes.REJECTED_BY_PLATFORM,
              "account "
                  + account.account().accountId()
                  + " has handle '"
                  + author
                  + "', which is not a LinkedIn author URN (urn:li:person:… or"
                  + " urn:li:organization:…)"));
    }
    return Optional.empty();
  }

  private CallResult send(PublishTask task, AccountAccess account) {
    URI uri = URI.create(account.endpoint(DEFAULT_ENDPOINT) + "/rest/posts");
    String text = task.text() == null ? "" : task.text();
    HttpRequest request =
        PlatformHttp.postJson(uri, body(account.account().handle(), text))
            .header("Authorization", "Bearer " + account.secretValue())
            .header("LinkedIn-Version", LINKEDIN_VERSION)
            .header("X-Restli-Protocol-Version", "2.0.0")
            .build();
    String what = "linkedin " + PlatformHttp.describe(request) + "/rest/posts";
    return classify(http.send(request), what);
  }

  private CallResult classify(HttpResponse<String> response, String what) {
    int status = response.statusCode();
    String body = response.body();
    if (status == 201) {
      Optional<String> id = response.headers().firstValue("x-restli-id");
      if (id.isEmpty() || id.get().isBlank()) {
        return new CallResult.Unclear(
            ErrorCodes.MALFORMED_RESPONSE,
            what + " answered 201 without an x-restli-id header" + PlatformHttp.excerpt(body));
      }
      String urn = id.get().trim();
      if (!POST_URN.matcher(urn).matches()) {
        return new CallResult.Unclear(
            ErrorCodes.MALFORMED_RESPONSE,
            what + " answered 201 with x-restli-id '" + urn + "', which is not a post URN");
      }
      return published(urn);
    }
    if (status >= 200 && status < 300) {
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE,
          what + " answered " + status + " instead of 201 Created" + PlatformHttp.excerpt(body));
    }
    JsonNode json = PlatformHttp.json(body);
    if ((status == 400 || status == 409 || status == 422) && isDuplicate(json)) {
      String message = text(json, "message");
      Matcher original = DUPLICATE_OF.matcher(message);
      if (original.find()) {
        return published(original.group(1));
      }
      return new CallResult.Unknown(
          what
              + " answered "
              + status
              + " DUPLICATE_POST without naming the original post, so it cannot be told whether"
              + " this task's post exists"
              + PlatformHttp.excerpt(body));
    }
    if (status == 403) {
      return new CallResult.Failed(
          ErrorCodes.ACCOUNT_DISCONNECTED,
          what
              + " answered 403: the token lacks w_member_social/w_organization_social or may not"
              + " post as this author; reconnect the account"
              + PlatformHttp.excerpt(body));
    }
    if ((status == 400 || status == 422) && TEXT_LENGTH.matcher(text(json, "message")).find()) {
      return new CallResult.Failed(
          ErrorCodes.TEXT_TOO_LONG,
          what + " answered " + status + ": commentary too long" + PlatformHttp.excerpt(body));
    }
    if (status == 426) {
      return new CallResult.Failed(
          ErrorCodes.REJECTED_BY_PLATFORM,
          what
              + " answered 426: LinkedIn-Version "
              + LINKEDIN_VERSION
              + " is no longer supported"
              + PlatformHttp.excerpt(body));
    }
    return otherAnswer(response, what, "post");
  }

  private static boolean isDuplicate(JsonNode json) {
    if (json == null) {
      return false;
    }
    if ("DUPLICATE_POST".equals(text(json, "code"))) {
      return true;
    }
    for (JsonNode error : json.path("errorDetails").path("inputErrors")) {
      if ("DUPLICATE_POST".equals(error.path("code").asText())) {
        return true;
      }
    }
    return false;
  }

  private static String text(JsonNode json, String field) {
    return json == null ? "" : json.path(field).asText("");
  }

  private static CallResult.Published published(String urn) {
    return new CallResult.Published(urn, FEED_URL + urn);
  }
}

package dev.letmepost.platform.sandbox;

import dev.letmepost.platform.sandbox.SandboxWire.ErrorAnswer;
import dev.letmepost.platform.sandbox.SandboxWire.PostAnswer;
import dev.letmepost.platform.sandbox.SandboxWire.PostRequest;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.HttpConnector;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;

/**
 * The connector to a {@link SandboxServer}: publishes the tasks of one platform, whichever it is,
 * to the sandbox over HTTP, so that demo mode runs every platform's worker without sending anything
 * off the machine.
 *
 * <p>Thread-safe: it holds no state besides its {@link PlatformHttp}.
 */
public final class SandboxConnector extends HttpConnector {
  /*
   * Publishing is safe to reconcile because the sandbox dedups on the Idempotency-Key: the task's
   * platform idempotency key, the same on every delivery. So Absent (a 404 not_found from the
   * lookup) lets the worker publish again, and even a wrong Absent could not make a second post.
   *
   * Only a 404 whose body says not_found is Absent: a 404 from anything else (a wrong base URL, a
   * proxy) proves nothing and is a lookup that did not happen, NotSent. Likewise only 501
   * lookup_disabled is Unknown.
   *
   * A lookup is a GET: it cannot post, so a transport failure during reconcile (which PlatformHttp
   * classifies Unclear for a POST's sake) is NotSent here, and the worker retries the lookup.
   *
   * The account's own endpoint is ignored: in demo mode the accounts are those of the real
   * platforms, and every one of them is served by the sandbox at sandboxUrl.
   */

  private final URI sandboxUrl;

  /**
   * @param platform the platform whose tasks this connector serves
   * @param sandboxUrl the sandbox's base URL, e.g. {@code http://127.0.0.1:8090}
   */
  public SandboxConnector(Platform platform, PlatformHttp http, URI sandboxUrl) {
    super(platform, http);
    Objects.requireNonNull(sandboxUrl, "sandboxUrl");
    String base = sandboxUrl.toString();
    if (!base.matches("https?://\\S+")) {
      throw new IllegalArgumentException("sandboxUrl must be an http(s) URL, got '" + base + "'");
    }
    this.sandboxUrl = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
  }

  @Override
  public boolean needsCredentials() {
    return false;
  }

  /** None: the sandbox stands in for any platform and keeps whatever content it is sent. */
  @Override
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    return Optional.empty();
  }

  @Override
  protected CallResult call(PublishTask task, AccountAccess account) {
    HttpRequest request =
        PlatformHttp.postJson(
                URI.create(sandboxUrl + "/v1/accounts/" + segment(task.accountId()) + "/posts"),
                new String(Json.write(PostRequest.of(task)), StandardCharsets.UTF_8))
            .header("Idempotency-Key", task.platformIdempotencyKey())
            .build();
    String what = PlatformHttp.describe(request) + " (sandbox post of task " + task.taskId() + ")";
    HttpResponse<String> response = http.send(request);
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      Optional<CallResult.Published> published = post(response);
      if (published.isPresent()) {
        return published.get();
      }
      return new CallResult.Unclear(
          ErrorCodes.MALFORMED_RESPONSE,
          what
              + " answered "
              + status
              + " without a post id and uri"
              + PlatformHttp.excerpt(response.body()));
    }
    return otherAnswer(response, what, "post");
  }

  @Override
  public CallResult reconcile(PublishTask task, AccountAccess account) {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create(
                    sandboxUrl + "/v1/posts/by-key/" + segment(task.platformIdempotencyKey())))
            .GET()
            .build();
    String what =
        PlatformHttp.describe(request) + " (sandbox lookup of task " + task.taskId() + ")";
    HttpResponse<String> response;
    try {
      response = http.send(request);
    } catch (CallFailure e) {
      return lookupNotDone(e.result());
    }
    int status = response.statusCode();
    String code = errorCode(response.body());
    if (status == 200) {
      Optional<CallResult.Published> published = post(response);
      if (published.isPresent()) {
        return published.get();
      }
      return new CallResult.NotSent(
          ErrorCodes.MALFORMED_RESPONSE,
          what + " answered 200 without a post id and uri" + PlatformHttp.excerpt(response.body()));
    }
    if (status == 404 && "not_found".equals(code)) {
      return new CallResult.Absent(
          what
              + ": no post with platform idempotency key "
              + task.platformIdempotencyKey()
              + " exists");
    }
    if (status == 501 && "lookup_disabled".equals(code)) {
      return new CallResult.Unknown(
          what
              + ": the sandbox runs without a lookup, so whether task "
              + task.taskId()
              + " was posted cannot be known; check "
              + sandboxUrl
              + " before posting again");
    }
    return new CallResult.NotSent(
        status == 429 ? ErrorCodes.RATE_LIMITED : ErrorCodes.PLATFORM_ERROR,
        what + " answered " + status + PlatformHttp.excerpt(response.body()),
        http.retryAfter(response));
  }

  /** The post an answer describes, or empty when it has no textual id and uri. */
  private static Optional<CallResult.Published> post(HttpResponse<String> response) {
    return SandboxWire.readAnswer(response.body(), PostAnswer.class)
        .filter(p -> p.id() != null && !p.id().isBlank())
        .filter(p -> p.uri() != null && !p.uri().isBlank())
        .map(p -> new CallResult.Published(p.id(), p.uri()));
  }

  /** The {@code error.code} of an error answer, or null. */
  private static String errorCode(String body) {
    return SandboxWire.readAnswer(body, ErrorAnswer.class).map(e -> e.error().code()).orElse(null);
  }

  /** A lookup that got no answer did nothing: NotSent, whatever the transport classified. */
  private static CallResult lookupNotDone(CallResult transport) {
    if (transport instanceof CallResult.NotSent notSent) {
      return notSent;
    }
    if (transport instanceof CallResult.Unclear unclear) {
      return new CallResult.NotSent(unclear.code(), unclear.message());
    }
    return transport;
  }

  /** {@code value} percent-encoded as one path segment. */
  private static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }
}

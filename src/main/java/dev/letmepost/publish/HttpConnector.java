package dev.letmepost.publish;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.Optional;

/**
 * The base of a connector that calls its platform through {@link PlatformHttp}: it holds the
 * platform and the client, and refuses a task it never sends before any request is made.
 */
public abstract class HttpConnector implements Connector {
  /*
   * One place for what every connector did alike: the client with its deadline and body cap, the
   * platform it names, and the refusal of a task before any request (the content the platform's
   * capabilities do not allow, plus what a connector adds in refusal()). A connector states only
   * what is its own: the request, and how the platform's answer reads (call()).
   */

  /** The client every request of this connector goes through. */
  protected final PlatformHttp http;

  private final Platform platform;

  protected HttpConnector(Platform platform, PlatformHttp http) {
    this.platform = Objects.requireNonNull(platform, "platform");
    this.http = Objects.requireNonNull(http, "http");
  }

  @Override
  public final Platform platform() {
    return platform;
  }

  /**
   * The {@link #refusal} of {@code task} when there is one, else the {@link #call} that posts it.
   */
  @Override
  public final CallResult publish(PublishTask task, AccountAccess account) {
    Optional<CallResult.Failed> refused = refusal(task, account);
    return refused.isPresent() ? refused.get() : call(task, account);
  }

  /**
   * Why this connector never sends {@code task} for {@code account}, found before any request: by
   * default content the platform's capabilities do not allow ({@link
   * Connector#unsupportedContent}).
   */
  protected Optional<CallResult.Failed> refusal(PublishTask task, AccountAccess account) {
    return Connector.unsupportedContent(platform, task);
  }

  /**
   * The refusal of a task that has nothing to post (neither text nor media: rejected_by_platform)
   * or a media entry without a URL (unsupported_content), else empty: for a {@link #refusal} of a
   * platform that needs one or the other.
   */
  protected final Optional<CallResult.Failed> emptyContent(PublishTask task) {
    for (PublishTask.Media media : task.media()) {
      if (media.url() == null || media.url().isBlank()) {
        return Optional.of(
            new CallResult.Failed(
                ErrorCodes.UNSUPPORTED_CONTENT,
                "task "
                    + task.taskId()
                    + " has a media entry without a URL; "
                    + platform.wireName()
                    + " takes media by URL"));
      }
    }
    if (task.media().isEmpty() && (task.text() == null || task.text().isBlank())) {
      return Optional.of(
          new CallResult.Failed(
              ErrorCodes.REJECTED_BY_PLATFORM,
              "task "
                  + task.taskId()
                  + " has neither text nor media; "
                  + platform.wireName()
                  + " needs one, nothing was posted"));
    }
    return Optional.empty();
  }

  /**
   * The Absent a reconcile answers for a task that {@link #refusal} refuses: no attempt at it sent
   * a request, so nothing was posted; else empty.
   */
  protected final Optional<CallResult> neverSent(PublishTask task, AccountAccess account) {
    return refusal(task, account)
        .map(
            refused ->
                new CallResult.Absent(
                    platform.wireName()
                        + " never receives task "
                        + task.taskId()
                        + ", which this connector refuses before any request ("
                        + refused.message()
                        + ")"));
  }

  /**
   * The Unknown a reconcile answers when its lookup was refused ({@code why}): the post may exist
   * and it can no longer be looked up.
   */
  protected static CallResult.Unknown cannotLookUp(String why, AccountAccess account) {
    return new CallResult.Unknown(
        "cannot look the post up: "
            + why
            + "; check account "
            + account.account().accountId()
            + " before posting again");
  }

  /**
   * What an answer that the connector's own rules did not read proves: its {@link
   * PlatformHttp#commonFailure} when it has one, else a 4xx is Failed rejected_by_platform ({@code
   * "refused the <thing> (<status>)"}) and any other status Unclear platform_error, since it came
   * after the request was sent.
   */
  protected final CallResult otherAnswer(HttpResponse<String> response, String what, String thing) {
    Optional<CallResult> common = http.commonFailure(response, what);
    if (common.isPresent()) {
      return common.get();
    }
    int status = response.statusCode();
    if (status >= 400 && status < 500) {
      return new CallResult.Failed(
          ErrorCodes.REJECTED_BY_PLATFORM,
          what
              + " refused the "
              + thing
              + " ("
              + status
              + ")"
              + PlatformHttp.excerpt(response.body()));
    }
    return new CallResult.Unclear(
        ErrorCodes.PLATFORM_ERROR,
        what
            + " answered unexpected status "
            + status
            + " after the request was sent"
            + PlatformHttp.excerpt(response.body()));
  }

  /** Makes the requests that publish {@code task}, which {@link #refusal} let through. */
  protected abstract CallResult call(PublishTask task, AccountAccess account);

  /**
   * {@code result} with every occurrence of {@code secret} in its message replaced by {@code mask},
   * should an answer echo it; unchanged when there is no secret.
   */
  protected static CallResult scrub(CallResult result, String secret, String mask) {
    if (secret == null || secret.isEmpty()) {
      return result;
    }
    return result.withMessage(m -> m.replace(secret, mask));
  }
}

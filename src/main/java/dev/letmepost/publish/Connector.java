package dev.letmepost.publish;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.time.Instant;
import java.util.Optional;

/**
 * One platform's publishing API, as a publisher worker uses it: the connector SPI. A new platform
 * is one implementation of this interface plus its test against a fake server.
 *
 * <p>Implementations make HTTP calls and classify what came back into a {@link CallResult}; they
 * never retry, sleep or decide deadlines (the worker does). They may throw {@link CallFailure} for
 * transport errors ({@link PlatformHttp} does), never any other exception for a platform's answer.
 * They must be thread-safe: the worker calls them from several threads, never twice at once for one
 * task. No message they produce may contain the account's secret.
 */
public interface Connector {

  /** The platform this connector speaks to. */
  Platform platform();

  /**
   * Whether this connector needs the account's secret; when true (the default) an account without
   * usable credentials fails with {@code account_disconnected} before any call.
   */
  default boolean needsCredentials() {
    return true;
  }

  /**
   * The most HTTP requests one {@link #publish} or {@link #reconcile} call makes, one after the
   * other (e.g. a session, the post, a renewed session, the post again): with the connect and
   * request timeouts it bounds how long a call can last, which a new owner of the task waits out
   * before calling (see PartitionLease and AssignmentRecovery).
   */
  default int requestsPerCall() {
    return 1;
  }

  /**
   * Makes the call that publishes {@code task} on {@code account}: exactly one attempt at posting
   * (a connector whose API takes several requests, like Bluesky's session or Threads' container,
   * makes them all, but posts at most once).
   */
  CallResult publish(PublishTask task, AccountAccess account);

  /**
   * Finds out, without risking a second post, what became of an earlier {@link #publish} of {@code
   * task} whose fate is unknown (the worker crashed mid-call, the answer was lost, a 5xx came after
   * the request was sent). Answers {@link CallResult.Published} when the post exists, {@link
   * CallResult.Absent} when the platform proves it does not (the worker may then publish), {@link
   * CallResult.NotSent} or {@link CallResult.Unclear} when the lookup itself gave no answer (the
   * worker asks again later, never publishes), {@link CallResult.Failed} when a repeated request
   * with the same idempotency key was refused for good, or {@link CallResult.Unknown} when the
   * platform gives no way to know.
   *
   * <p>The default is for platforms without a lookup or idempotency key: {@code unknown}.
   */
  default CallResult reconcile(PublishTask task, AccountAccess account) {
    return new CallResult.Unknown(
        platform().wireName()
            + " offers no way to look up task "
            + task.taskId()
            + " after an interrupted call; check account "
            + account.account().accountId()
            + " before posting again");
  }

  /**
   * {@link #reconcile(PublishTask, AccountAccess)} for a task whose first call was made no earlier
   * than {@code firstAttemptAt}: for a platform that remembers an idempotency key for a limited
   * time after the call. The default ignores it.
   */
  default CallResult reconcile(PublishTask task, AccountAccess account, Instant firstAttemptAt) {
    return reconcile(task, account);
  }

  /**
   * The {@code unsupported_content} failure for {@code task} when its media or first comment are
   * more than {@code platform}'s {@link dev.letmepost.wire.PlatformCapabilities} allow, else empty.
   * The ledger fails such a target before fan-out, so a connector calls this only as a defensive
   * check, before any request.
   */
  static Optional<CallResult.Failed> unsupportedContent(Platform platform, PublishTask task) {
    return platform
        .capabilities()
        .refusal("task " + task.taskId(), task.media(), task.firstComment())
        .map(message -> new CallResult.Failed(ErrorCodes.UNSUPPORTED_CONTENT, message));
  }
}

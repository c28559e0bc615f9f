package dev.letmepost.publish;

import dev.letmepost.client.Backoff;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * One task's way from its journaled attempt to its outcome: the retry and reconciliation decisions
 * of docs/contract.md#each-target-at-most-once, one platform call per {@link #step}.
 */
final class TaskRun {
  /*
   * The two modes. PUBLISH calls Connector.publish: allowed only while no call may have reached
   * the platform, or after the platform proved the post absent. RECONCILE calls
   * Connector.reconcile: entered as soon as a call may have reached the platform (Unclear), and
   * the mode a task recovered from the journal starts in unless its entry proves nothing was sent.
   * Nothing ever goes from "may have reached the platform" back to PUBLISH except an Absent answer
   * from the platform itself: that is the at-most-once rule.
   *
   * Deadline. No call starts at or after the task's deadline. A task that gives up there is
   * `failed` (retryable) when nothing can have been posted, `unknown` otherwise. The ledger ends a
   * target still open at its deadline as `unknown` on its own; an outcome we write later is
   * ignored by the ledger but stays in the outcomes topic as the record of what happened.
   *
   * Waits. NotSent waits max(platform hint, backoff); Unclear waits at least `minReconcileWait`
   * (Mastodon stores an Idempotency-Key only after saving the post, so an instant repeat could
   * double-post). The backoff is the jittered client.Backoff: after the n-th failure, from half to
   * all of base·2^(n−1), capped.
   */

  enum Mode {
    PUBLISH,
    RECONCILE
  }

  /**
   * What to do after a step: call again at {@code next}, or finish with {@code outcome}. {@code
   * holdAccount} says the platform asked the whole account to wait (a rate limit with a wait hint):
   * the account's other tasks wait too; any other wait is this task's own.
   */
  record Next(Instant next, TargetOutcome outcome, boolean holdAccount) {
    static Next at(Instant when) {
      return new Next(when, null, false);
    }

    static Next done(TargetOutcome outcome) {
      return new Next(null, outcome, false);
    }

    boolean isDone() {
      return outcome != null;
    }
  }

  private final PublishTask task;
  private final int partition;
  private final Backoff backoff;
  private final Duration minReconcileWait;
  private final DoubleSupplier random;
  private Mode mode;
  private boolean mayHaveReachedPlatform;
  private Instant firstAttemptAt;
  private int failures;

  /**
   * A run for {@code task} from publish partition {@code partition}; {@code random} draws the
   * backoff's jitter, in [0, 1]; {@code firstAttemptAt} is no later than the first call already
   * made, or null.
   */
  TaskRun(
      PublishTask task,
      int partition,
      boolean mayHaveReachedPlatform,
      Instant firstAttemptAt,
      Backoff backoff,
      Duration minReconcileWait,
      DoubleSupplier random) {
    this.firstAttemptAt = firstAttemptAt;
    this.task = Objects.requireNonNull(task, "task");
    this.partition = partition;
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.minReconcileWait = Objects.requireNonNull(minReconcileWait, "minReconcileWait");
    this.random = Objects.requireNonNull(random, "random");
    this.mayHaveReachedPlatform = mayHaveReachedPlatform;
    this.mode = mayHaveReachedPlatform ? Mode.RECONCILE : Mode.PUBLISH;
  }

  PublishTask task() {
    return task;
  }

  int partition() {
    return partition;
  }

  Mode mode() {
    return mode;
  }

  /**
   * No later than the first platform call for this task: for a recovered task, when its attempt was
   * journaled; null while no call was made.
   */
  Instant firstAttemptAt() {
    return firstAttemptAt;
  }

  boolean mayHaveReachedPlatform() {
    return mayHaveReachedPlatform;
  }

  /** Whether no call may start at {@code now}. */
  boolean expired(Instant now) {
    return !now.isBefore(Instant.ofEpochMilli(task.deadline()));
  }

  /** The outcome of a task whose deadline came before its next call. */
  TargetOutcome expire(String lastProblem) {
    if (mayHaveReachedPlatform) {
      return TargetOutcome.unknown(
          task,
          "deadline "
              + Instant.ofEpochMilli(task.deadline())
              + " passed before the platform confirmed task "
              + task.taskId()
              + (lastProblem == null ? "" : "; last answer: " + lastProblem));
    }
    return TargetOutcome.failed(
        task,
        new TargetError(
            ErrorCodes.DEADLINE_EXCEEDED,
            "deadline "
                + Instant.ofEpochMilli(task.deadline())
                + " passed before task "
                + task.taskId()
                + " could be published; nothing was posted"
                + (lastProblem == null ? "" : "; last answer: " + lastProblem),
            true));
  }

  /**
   * Makes the call this run is due for and decides what comes next. {@code call} makes the call in
   * the given mode; a {@link CallFailure} it throws counts as its result.
   */
  Next step(Clock clock, Function<Mode, CallResult> call) {
    if (expired(clock.instant())) {
      return Next.done(expire(null));
    }
    if (mode == Mode.PUBLISH) {
      // From here on, a crash leaves a journaled attempt that may have reached the platform.
      mayHaveReachedPlatform = true;
      if (firstAttemptAt == null) {
        firstAttemptAt = clock.instant();
      }
    }
    CallResult result;
    try {
      result = call.apply(mode);
    } catch (CallFailure e) {
      result = e.result();
    }
    return decide(result, clock.instant());
  }

  /** The decision after one call's {@code result}, at {@code now}. */
  Next decide(CallResult result, Instant now) {
    if (result instanceof CallResult.Published p) {
      return Next.done(TargetOutcome.published(task, p.postId(), p.uri()));
    }
    if (result instanceof CallResult.Failed f) {
      return Next.done(TargetOutcome.failed(task, new TargetError(f.code(), f.message(), false)));
    }
    if (result instanceof CallResult.Unknown u) {
      return Next.done(TargetOutcome.unknown(task, u.message()));
    }
    if (result instanceof CallResult.NotSent n) {
      if (mode == Mode.PUBLISH) {
        // The platform proved it did nothing: this attempt did not reach it.
        mayHaveReachedPlatform = false;
      }
      Duration wait = backoff.delay(++failures, random);
      if (n.retryAfter() != null && n.retryAfter().compareTo(wait) > 0) {
        wait = n.retryAfter();
      }
      Next next = retryOrGiveUp(now.plus(wait), n.code(), n.message());
      return next.isDone() || n.retryAfter() == null ? next : new Next(next.next(), null, true);
    }
    if (result instanceof CallResult.Unclear u) {
      mayHaveReachedPlatform = true;
      mode = Mode.RECONCILE;
      Duration wait = backoff.delay(++failures, random);
      if (wait.compareTo(minReconcileWait) < 0) {
        wait = minReconcileWait;
      }
      return retryOrGiveUp(now.plus(wait), u.code(), u.message());
    }
    if (result instanceof CallResult.Absent a) {
      if (mode != Mode.RECONCILE) {
        throw new IllegalStateException(
            "connector answered Absent to a publish of task " + task.taskId());
      }
      mode = Mode.PUBLISH;
      mayHaveReachedPlatform = false;
      return retryOrGiveUp(now, "absent", a.message());
    }
    throw new IllegalStateException("unhandled call result " + result);
  }

  private Next retryOrGiveUp(Instant next, String code, String message) {
    if (!expired(next)) {
      return Next.at(next);
    }
    if (mayHaveReachedPlatform) {
      return Next.done(expire(code + ": " + message));
    }
    return Next.done(
        TargetOutcome.failed(
            task,
            new TargetError(
                code,
                message
                    + "; no retry possible before the deadline "
                    + Instant.ofEpochMilli(task.deadline()),
                true)));
  }
}

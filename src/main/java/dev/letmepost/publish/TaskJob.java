package dev.letmepost.publish;

import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One task in progress on a worker: its {@link TaskRun}, driven one step (at most one platform
 * call) at a time on its account's lane, until it settles with an outcome or is handed over.
 */
final class TaskJob implements AccountLanes.Job {
  /*
   * Locking. The lane thread owns `run`; the fields below are shared with the poll thread and
   * guarded by this object's lock, which is only ever held for a few field accesses, never across
   * a platform call, so a hand-over never blocks on one: it waits, bounded, only on the step-ended
   * future of stopCalls().
   *
   * Before each call a step checks, on the lane thread, that no earlier owner can still be calling
   * the task (notBefore, see AssignmentRecovery) and that the worker's lease still lets calls start
   * (see PartitionLease); a job that may not call yet asks its lane to run it again later.
   */

  /** The longest a waiting job goes without looking at the clock again. */
  static final Duration RECHECK = Duration.ofMillis(250);

  private static final Logger log = LoggerFactory.getLogger(TaskJob.class);

  /**
   * What the next owner of a task's partition needs to know of it, as of its hand-over: whether a
   * call may have reached the platform, no later than when the first call was made (or null), and
   * whether no one but this worker could be calling it (no earlier owner, no call in progress).
   */
  record HandOff(boolean mayHaveReachedPlatform, Instant firstAttemptAt, boolean exclusive) {}

  /**
   * The maker of one worker's jobs, and what they share: the worker, its connector and the access
   * to accounts it calls with, the lease that lets calls start, and the counts of calls not started
   * that tests read.
   */
  static final class Factory {
    private final WorkerContext worker;
    private final Connector connector;
    private final TaskAccess taskAccess;
    private final PartitionLease lease;
    private final Duration callTimeout;

    // Calls not started: for tests.
    private final AtomicInteger refusedForLease = new AtomicInteger();
    private final AtomicInteger deferredForPreviousOwner = new AtomicInteger();

    Factory(
        WorkerContext worker, Connector connector, TaskAccess taskAccess, PartitionLease lease) {
      this.worker = Objects.requireNonNull(worker, "worker");
      this.connector = Objects.requireNonNull(connector, "connector");
      this.taskAccess = Objects.requireNonNull(taskAccess, "taskAccess");
      this.lease = Objects.requireNonNull(lease, "lease");
      if (connector.requestsPerCall() < 1) {
        throw new IllegalArgumentException(
            "connector "
                + connector.getClass().getSimpleName()
                + " must make at least one request per call, says "
                + connector.requestsPerCall());
      }
      this.callTimeout =
          worker
              .config()
              .connectTimeout()
              .plus(worker.config().requestTimeout())
              .multipliedBy(connector.requestsPerCall());
    }

    /** The longest one connector call (all its requests) can last. */
    Duration callTimeout() {
      return callTimeout;
    }

    /** How many times a job found the lease expired and did not start its call. */
    int refusedForLease() {
      return refusedForLease.get();
    }

    /** How many times a job waited for an earlier owner's calls to end. */
    int deferredForPreviousOwner() {
      return deferredForPreviousOwner.get();
    }

    /**
     * A job for {@code task} of publish partition {@code partition}, not started.
     *
     * @param mayHaveReachedPlatform whether an earlier call may have reached the platform (the job
     *     then starts by reconciling)
     * @param firstAttemptAt no later than the first call already made, or null
     * @param notBefore when an earlier owner's calls for this task can have ended, or null when no
     *     one else can be calling it
     */
    TaskJob job(
        PublishTask task,
        int partition,
        boolean mayHaveReachedPlatform,
        Instant firstAttemptAt,
        Instant notBefore) {
      TaskRun run =
          new TaskRun(
              task,
              partition,
              mayHaveReachedPlatform,
              firstAttemptAt,
              worker.config().backoff(),
              worker.config().minReconcileWait(),
              () -> ThreadLocalRandom.current().nextDouble());
      return new TaskJob(run, notBefore, this);
    }
  }

  /** Why a run stops just before its call: it was handed over meanwhile. */
  private static final class HandedOver extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HandedOver() {
      super(null, null, false, false);
    }
  }

  final TaskRun run;
  private final Factory jobs;
  private Instant notBefore;
  private boolean handedOver;
  private TargetOutcome outcome;
  private boolean inCall;
  private boolean reached;
  private Instant firstAttempt;

  /** Set when its partition is being handed over cleanly: no further call starts. */
  private boolean stopping;

  /** A step (at most one call) is running on a lane thread. */
  private boolean stepping;

  /** Completed when the running step ends; made only when a hand-over waits for it. */
  private CompletableFuture<Void> stepEnded;

  private TaskJob(TaskRun run, Instant notBefore, Factory jobs) {
    this.run = run;
    this.notBefore = notBefore;
    this.jobs = jobs;
    this.reached = run.mayHaveReachedPlatform();
    this.firstAttempt = run.firstAttemptAt();
  }

  String taskId() {
    return run.task().taskId();
  }

  @Override
  public AccountLanes.Again runOnce() {
    synchronized (this) {
      if (handedOver || outcome != null || stopping) {
        return null;
      }
      stepping = true;
    }
    try {
      AccountLanes.Again again = step();
      if (again != null) {
        synchronized (this) {
          reached = run.mayHaveReachedPlatform();
          firstAttempt = run.firstAttemptAt();
        }
      }
      return again;
    } catch (HandedOver e) {
      return null;
    } catch (RuntimeException e) {
      log.error("publisher {} failed on task {}; answering it", jobs.worker.holder(), taskId(), e);
      finish(crashOutcome(e));
      return null;
    } finally {
      CompletableFuture<Void> ended;
      synchronized (this) {
        stepping = false;
        ended = stepEnded;
      }
      if (ended != null) {
        ended.complete(null);
      }
    }
  }

  @Override
  public void crashed(RuntimeException e) {
    finish(crashOutcome(e));
  }

  /**
   * Lets no further call of this run start, for a clean hand-over: a step in progress (and its
   * call) goes on, and its outcome, if it finishes, is kept. Returns what completes when that step
   * has ended, or null when none is running. Never waits.
   */
  synchronized CompletableFuture<Void> stopCalls() {
    stopping = true;
    if (!stepping || outcome != null) {
      return null;
    }
    if (stepEnded == null) {
      stepEnded = new CompletableFuture<>();
    }
    return stepEnded;
  }

  /**
   * Stops this run unless it has finished, without waiting for a call in progress (whose answer is
   * then discarded): what the next owner needs to know, or null when it had finished.
   */
  synchronized HandOff handOver() {
    if (outcome != null) {
      return null;
    }
    handedOver = true;
    return new HandOff(reached || inCall, firstAttempt, notBefore == null && !inCall);
  }

  synchronized TargetOutcome outcome() {
    return outcome;
  }

  private AccountLanes.Again step() {
    PublishTask task = run.task();
    Clock clock = jobs.worker.clock();
    Instant now = clock.instant();
    if (notBefore != null) {
      if (now.isBefore(notBefore)) {
        if (run.expired(now)) {
          finish(
              run.expire("an earlier owner's calls could still be in progress until " + notBefore));
          return null;
        }
        jobs.deferredForPreviousOwner.incrementAndGet();
        Instant recheck = now.plus(RECHECK);
        return new AccountLanes.Again(recheck.isBefore(notBefore) ? recheck : notBefore, false);
      }
      synchronized (this) {
        notBefore = null;
      }
    }
    AccountAccess access;
    try {
      access = jobs.taskAccess.resolve(task);
    } catch (TaskAccess.NoAccess e) {
      finish(
          run.mayHaveReachedPlatform()
              ? TargetOutcome.unknown(
                  task,
                  "cannot reconcile task "
                      + task.taskId()
                      + " after an interrupted call: "
                      + e.getMessage())
              : TargetOutcome.failed(task, new TargetError(e.code, e.getMessage(), false)));
      return null;
    }
    now = clock.instant();
    long leaseUntil = jobs.lease.until();
    if (now.toEpochMilli() >= leaseUntil) {
      if (run.expired(now)) {
        finish(
            run.expire(
                "publisher "
                    + jobs.worker.holder()
                    + " could not confirm it still owns partition "
                    + run.partition()
                    + " of "
                    + jobs.worker.taskTopic()));
        return null;
      }
      if (jobs.refusedForLease.getAndIncrement() % 100 == 0) {
        log.warn(
            "publisher {} starts no call for task {}: its lease on {} ran out at {}",
            jobs.worker.holder(),
            task.taskId(),
            jobs.worker.taskTopic(),
            Instant.ofEpochMilli(leaseUntil));
      }
      return new AccountLanes.Again(now.plus(RECHECK), true);
    }
    TaskRun.Next next = run.step(clock, mode -> callUnlocked(mode, access));
    if (next.isDone()) {
      finish(next.outcome());
      return null;
    }
    return new AccountLanes.Again(next.next(), next.holdAccount());
  }

  /**
   * Makes the platform call without holding the lock; refuses it when the run was handed over.
   * While it runs, a hand-over tells the next owner that it may reach the platform and that this
   * worker may still be calling.
   */
  private CallResult callUnlocked(TaskRun.Mode mode, AccountAccess access) {
    synchronized (this) {
      if (handedOver || stopping) {
        throw new HandedOver();
      }
      inCall = true;
      reached = true;
      firstAttempt = run.firstAttemptAt();
    }
    try {
      return call(mode, access);
    } finally {
      synchronized (this) {
        inCall = false;
      }
    }
  }

  /** One connector call; a connector that throws anything but a CallFailure made it unclear. */
  private CallResult call(TaskRun.Mode mode, AccountAccess access) {
    PublishTask task = run.task();
    Connector connector = jobs.connector;
    try {
      if (mode == TaskRun.Mode.PUBLISH) {
        return connector.publish(task, access);
      }
      Instant first = run.firstAttemptAt();
      return connector.reconcile(
          task, access, first != null ? first : Instant.ofEpochMilli(task.recordedAt()));
    } catch (CallFailure e) {
      throw e;
    } catch (RuntimeException e) {
      log.error(
          "connector {} failed on task {} ({}); treating the call's fate as unclear",
          connector.getClass().getSimpleName(),
          task.taskId(),
          mode,
          e);
      return new CallResult.Unclear(
          ErrorCodes.PLATFORM_ERROR,
          "connector error during "
              + mode.name().toLowerCase(Locale.ROOT)
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  /** The outcome of a task whose run threw: failed if nothing can have been sent. */
  private TargetOutcome crashOutcome(RuntimeException e) {
    PublishTask task = run.task();
    String problem =
        e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    if (run.mayHaveReachedPlatform()) {
      return TargetOutcome.unknown(
          task,
          "publisher error on task "
              + task.taskId()
              + " after a call may have reached the platform ("
              + problem
              + ")");
    }
    return TargetOutcome.failed(
        task,
        new TargetError(
            ErrorCodes.PUBLISHER_ERROR,
            "publisher error on task "
                + task.taskId()
                + " for account "
                + task.accountId()
                + " before any call ("
                + problem
                + "); nothing was posted",
            false));
  }

  /** Settles the run with {@code o}, unless it was handed over or has settled already. */
  private void finish(TargetOutcome o) {
    synchronized (this) {
      if (outcome != null) {
        return;
      }
      if (handedOver) {
        log.info(
            "task {} was handed over while its call was in progress; its answer ({}) is left to"
                + " the partition's next owner, which reconciles it",
            o.taskId(),
            o.status());
        return;
      }
      outcome = o;
      reached = run.mayHaveReachedPlatform();
      firstAttempt = run.firstAttemptAt();
      // Under the lock: a hand-over that sees the outcome also finds the job queued.
      jobs.worker.inFlight().finished(this);
    }
    log.info(
        "task {} of batch {} for account {}: {}{}",
        o.taskId(),
        o.batchId(),
        run.task().accountId(),
        o.status(),
        o.error() == null
            ? " " + o.postId()
            : " " + o.error().code() + " (" + o.error().message() + ")");
  }
}

package dev.letmepost.publish;

import dev.letmepost.lanes.Lanes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs jobs one at a time per account, accounts in parallel: a rate-limited or slow account waits
 * in its own lane and never holds up another account's jobs.
 */
final class AccountLanes {
  /*
   * A lane is the FIFO of one account's jobs, run one at a time. When the head job asks to run
   * again at time T it says whether the wait is the account's (the platform's rate limit with a
   * wait hint: the whole lane waits until T) or its own (a backoff, a wait before reconciling: the
   * job leaves the lane and rejoins its tail at T, and the account's other jobs go on). No wait
   * holds a thread: lanes and jobs are rescheduled on the executor. Only calls in progress hold
   * threads, so the executor's size bounds concurrent platform calls, not waiting accounts.
   *
   * The lanes are dev.letmepost.lanes.Lanes, one group per account: the job in flight is the head
   * being run or waited for, and a drive of the lane is scheduled exactly while one is in flight.
   */

  /** When a job runs again: at {@code at}, holding its account's lane until then or not. */
  record Again(Instant at, boolean holdAccount) {}

  /** One unit of work: runs a step and says when to run again, or null when finished. */
  interface Job {
    Again runOnce();

    /**
     * Called when {@link #runOnce} threw {@code e}: the job is dropped from its lane and must
     * settle itself (e.g. answer its task), never vanish silently.
     */
    void crashed(RuntimeException e);
  }

  private static final Logger log = LoggerFactory.getLogger(AccountLanes.class);

  private final ScheduledExecutorService executor;
  private final Clock clock;

  /** Guarded by this. */
  private final Lanes<Job> lanes = new Lanes<>(1);

  AccountLanes(ScheduledExecutorService executor, Clock clock) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Queues {@code job} behind the account's other jobs. */
  void submit(String accountId, Job job) {
    Job start;
    synchronized (this) {
      lanes.add(accountId, accountId, job);
      start = lanes.start(accountId);
    }
    if (start != null) {
      schedule(accountId, start, Duration.ZERO);
    }
  }

  private void schedule(String accountId, Job job, Duration delay) {
    Future<?> unused =
        executor.schedule(
            () -> drive(accountId, job), Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
  }

  /** Runs the account's job in flight once, then drives the lane on. */
  private void drive(String accountId, Job job) {
    Again again = runOnce(accountId, job);
    Job next;
    Duration delay = Duration.ZERO;
    synchronized (this) {
      if (again != null && again.holdAccount()) {
        next = job; // still in flight: the whole lane waits
        delay = Duration.between(clock.instant(), again.at());
      } else {
        lanes.finish(accountId, job);
        if (again != null) {
          Duration own = Duration.between(clock.instant(), again.at());
          Future<?> unused =
              executor.schedule(
                  () -> submit(accountId, job), Math.max(0, own.toMillis()), TimeUnit.MILLISECONDS);
        }
        next = lanes.start(accountId);
      }
    }
    if (next != null) {
      schedule(accountId, next, delay);
    }
  }

  /** One step of {@code job}; null when it is finished, or threw (then it has settled itself). */
  private static Again runOnce(String accountId, Job job) {
    try {
      return job.runOnce();
    } catch (RuntimeException e) {
      log.error("a job of account {} failed; it is dropped from the lane", accountId, e);
      try {
        job.crashed(e);
      } catch (RuntimeException settleFailure) {
        log.error("a failed job of account {} could not settle itself", accountId, settleFailure);
      }
      return null;
    }
  }
}

package dev.letmepost.publish;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
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
  private final Map<String, Lane> lanes = new HashMap<>();

  AccountLanes(ScheduledExecutorService executor, Clock clock) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  private void rejoin(String accountId, Job job) {
    synchronized (this) {
      Lane lane = lanes.get(accountId);
      if (lane != null) {
        lane.waiting--;
      }
    }
    submit(accountId, job);
  }

  /** Queues {@code job} behind the account's other jobs. */
  void submit(String accountId, Job job) {
    Lane lane;
    boolean start;
    synchronized (this) {
      lane = lanes.computeIfAbsent(accountId, Lane::new);
      lane.jobs.addLast(job);
      start = !lane.scheduled;
      lane.scheduled = true;
    }
    if (start) {
      schedule(lane, Duration.ZERO);
    }
  }

  private void schedule(Lane lane, Duration delay) {
    executor.schedule(() -> drive(lane), Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
  }

  private void drive(Lane lane) {
    Job head;
    synchronized (this) {
      head = lane.jobs.peekFirst();
      if (head == null) {
        lane.scheduled = false;
        removeIfIdle(lane);
        return;
      }
    }
    Again again;
    try {
      again = head.runOnce();
    } catch (RuntimeException e) {
      log.error("a job of account {} failed; it is dropped from the lane", lane.accountId, e);
      again = null;
      try {
        head.crashed(e);
      } catch (RuntimeException settleFailure) {
        log.error(
            "a failed job of account {} could not settle itself", lane.accountId, settleFailure);
      }
    }
    Duration delay = Duration.ZERO;
    synchronized (this) {
      if (again == null) {
        lane.jobs.pollFirst();
      } else if (again.holdAccount()) {
        delay = Duration.between(clock.instant(), again.at());
      } else {
        lane.jobs.pollFirst();
        lane.waiting++;
        Duration own = Duration.between(clock.instant(), again.at());
        executor.schedule(
            () -> rejoin(lane.accountId, head), Math.max(0, own.toMillis()), TimeUnit.MILLISECONDS);
      }
      if (lane.jobs.isEmpty()) {
        lane.scheduled = false;
        removeIfIdle(lane);
        return;
      }
    }
    schedule(lane, delay);
  }

  /** Forgets a lane with no job queued and none waiting to rejoin. Call holding the lock. */
  private void removeIfIdle(Lane lane) {
    if (lane.jobs.isEmpty() && lane.waiting == 0 && !lane.scheduled) {
      lanes.remove(lane.accountId);
    }
  }

  private static final class Lane {
    final String accountId;
    final ArrayDeque<Job> jobs = new ArrayDeque<>();
    boolean scheduled;
    int waiting;

    Lane(String accountId) {
      this.accountId = accountId;
    }
  }
}

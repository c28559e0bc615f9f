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
   * A lane is the FIFO of one account's jobs. Its head job runs; when the job asks to run again
   * at time T (a retry after a 429, a backoff, a wait before reconciling) the whole lane waits
   * until T, which is what a per-account rate limit requires. The wait holds no thread: the lane
   * is rescheduled on the executor. Only calls in progress hold threads, so the number of
   * executor threads bounds concurrent platform calls, not waiting accounts.
   */

  /** One unit of work: runs a step and says when to run again, or null when finished. */
  interface Job {
    Instant runOnce();
  }

  private static final Logger log = LoggerFactory.getLogger(AccountLanes.class);

  private final ScheduledExecutorService executor;
  private final Clock clock;
  private final Map<String, Lane> lanes = new HashMap<>();

  AccountLanes(ScheduledExecutorService executor, Clock clock) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
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

  /** The number of jobs queued or running, over all accounts. */
  synchronized int size() {
    return lanes.values().stream().mapToInt(l -> l.jobs.size()).sum();
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
        lanes.remove(lane.accountId);
        return;
      }
    }
    Instant next;
    try {
      next = head.runOnce();
    } catch (RuntimeException e) {
      log.error("a job of account {} failed and was dropped", lane.accountId, e);
      next = null;
    }
    Duration delay = Duration.ZERO;
    synchronized (this) {
      if (next == null) {
        lane.jobs.pollFirst();
      } else {
        delay = Duration.between(clock.instant(), next);
      }
      if (lane.jobs.isEmpty()) {
        lane.scheduled = false;
        lanes.remove(lane.accountId);
        return;
      }
    }
    schedule(lane, delay);
  }

  private static final class Lane {
    final String accountId;
    final ArrayDeque<Job> jobs = new ArrayDeque<>();
    boolean scheduled;

    Lane(String accountId) {
      this.accountId = accountId;
    }
  }
}

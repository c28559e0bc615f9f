package dev.letmepost.publish;

import dev.letmepost.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link ScheduledExecutorService} on a {@link MutableClock}'s time: a task is due at the clock's
 * time when it was scheduled plus its delay, and runs (on a thread of its own pool) as soon as the
 * clock reaches that time, never after a real wait. A delayed task waits until the test moves the
 * clock.
 */
final class VirtualTimeScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {
  /*
   * No lost wake-ups: schedule() enqueues and runs what is due under the lock, and a clock move
   * (which writes the time before it calls runDue) takes the same lock, so whichever comes second
   * sees both the task and the new time.
   */

  private final MutableClock clock;
  private final ExecutorService threads;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
  private long sequence;
  private boolean shutdown;

  VirtualTimeScheduler(MutableClock clock) {
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "virtual-time-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    clock.onMove(this::runDue);
  }

  /** How many tasks wait for the clock to reach their time. */
  synchronized int waiting() {
    return (int) queue.stream().filter(t -> !t.isDone()).count();
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return schedule(Executors.callable(command, null), delay, unit);
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    synchronized (this) {
      if (shutdown) {
        throw new RejectedExecutionException("the scheduler is shut down");
      }
      Task<V> task =
          new Task<>(
              callable, clock.instant().plusNanos(Math.max(0, unit.toNanos(delay))), sequence++);
      queue.add(task);
      runDue();
      return task;
    }
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("the publisher schedules one-shot tasks only");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("the publisher schedules one-shot tasks only");
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  /** Hands every task whose time has come to the pool, earliest first. */
  private synchronized void runDue() {
    Instant now = clock.instant();
    while (!shutdown && !queue.isEmpty() && !queue.peek().due.isAfter(now)) {
      threads.execute(queue.poll());
    }
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
    queue.clear();
    threads.shutdown();
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> never = new ArrayList<>(queue);
    queue.clear();
    never.addAll(threads.shutdownNow());
    return never;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public boolean isTerminated() {
    return isShutdown() && threads.isTerminated();
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return threads.awaitTermination(timeout, unit);
  }

  private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
    final Instant due;
    final long order;

    Task(Callable<V> callable, Instant due, long order) {
      super(callable);
      this.due = due;
      this.order = order;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(clock.instant(), due));
    }

    @Override
    public int compareTo(Delayed other) {
      if (other instanceof Task<?> t) {
        int byTime = due.compareTo(t.due);
        return byTime != 0 ? byTime : Long.compare(order, t.order);
      }
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }
  }
}

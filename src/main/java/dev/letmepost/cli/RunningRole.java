package dev.letmepost.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parts of a long-running command ({@code serve}, {@code gateway}, {@code ledger}, {@code
 * publisher}, {@code sandbox}, {@code webhooks dispatch}) and the one way such a command runs:
 * {@link #run} starts the parts, blocks until the JVM is asked to stop (SIGTERM, Ctrl-C), then
 * stops them, the front door first and the others in the reverse order of their start, within
 * {@link #STOP_DEADLINE}. A part that dies for good stops the role too ({@link #stopWhen}), and the
 * command then exits 1.
 */
final class RunningRole {
  /*
   * The shutdown hook is installed before the first part starts: a stop asked for during start-up
   * (serve waits up to 2 min for its ledger) still stops what has started, and a part that starts
   * after the stop began is stopped at once.
   *
   * The deadline: every part bounds its own close (Kafka Streams 30 s, the publishers' hand-over
   * wait at most 30 s), but a Kafka client's close can still block on a cluster that is gone. Past
   * the deadline the hook returns and the JVM halts; what was not stopped is recovered as after a
   * crash (its transactions aborted by the next owner, the ledger's state restored from its
   * changelogs).
   */

  private static final Logger LOG = LoggerFactory.getLogger(RunningRole.class);

  /** How long stopping may take before the process exits without waiting for the rest. */
  static final Duration STOP_DEADLINE = Duration.ofMinutes(2);

  /** How often {@link #stopWhen} checks whether a part died for good. */
  static final Duration WATCH_PERIOD = Duration.ofSeconds(1);

  /** What starts a role's parts, adding each to {@code role} as it starts. */
  @FunctionalInterface
  interface Start {
    void start(RunningRole role) throws Exception;
  }

  /** Where the stop is hooked in: the JVM's shutdown hooks, or a test's. */
  interface ShutdownHooks {
    void add(Thread hook);

    /**
     * Removes {@code hook}.
     *
     * @throws IllegalStateException when the JVM is already shutting down (the hook then runs)
     */
    void remove(Thread hook);
  }

  private static final ShutdownHooks JVM =
      new ShutdownHooks() {
        @Override
        public void add(Thread hook) {
          Runtime.getRuntime().addShutdownHook(hook);
        }

        @Override
        public void remove(Thread hook) {
          Runtime.getRuntime().removeShutdownHook(hook);
        }
      };

  private final String name;
  private final Duration deadline;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile int exitCode;
  private final List<AutoCloseable> parts = new ArrayList<>();
  private AutoCloseable frontDoor;
  private boolean stopping;
  private volatile AutoCloseable stoppingNow;

  private RunningRole(String name, Duration deadline) {
    this.name = name;
    this.deadline = deadline;
  }

  /**
   * Runs the role {@code name} ({@code lmp <name>}): {@code start}, then wait until the JVM is
   * asked to stop, or until a part dies for good ({@link #stopWhen}), then stop every part. A start
   * that throws stops what it had started and rethrows.
   *
   * @return the exit code: 0 after a stop the JVM asked for, 1 after a part died
   */
  static int run(String name, Start start) throws Exception {
    return run(name, start, STOP_DEADLINE, JVM);
  }

  static int run(String name, Start start, Duration deadline, ShutdownHooks hooks)
      throws Exception {
    RunningRole role = new RunningRole(name, deadline);
    Thread hook = new Thread(role::stopAndRelease, "lmp-" + name + "-shutdown");
    hooks.add(hook);
    try {
      start.start(role);
    } catch (Exception | Error e) {
      try {
        hooks.remove(hook);
        role.stop();
      } catch (IllegalStateException shuttingDown) {
        // the hook runs and stops the parts
      }
      throw e;
    }
    role.stopped.await();
    return role.exitCode;
  }

  private void stopAndRelease() {
    stopWithin(deadline);
    stopped.countDown();
  }

  /**
   * Stops the role once {@code failure} names a reason, and {@link #run} then returns 1: a part
   * that died for good (the ledger in state {@code ERROR}) would otherwise leave a process that
   * answers nothing and that no supervisor restarts. Checked every {@link #WATCH_PERIOD} on a
   * daemon thread that the role's stop ends.
   */
  void stopWhen(Supplier<Optional<String>> failure) {
    stopWhen(failure, WATCH_PERIOD);
  }

  void stopWhen(Supplier<Optional<String>> failure, Duration period) {
    ScheduledExecutorService watch =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lmp-" + name + "-watch");
              t.setDaemon(true);
              return t;
            });
    add(watch::shutdownNow);
    watch.scheduleWithFixedDelay(
        () ->
            failure
                .get()
                .ifPresent(
                    why -> {
                      watch.shutdown();
                      LOG.error("lmp {}: {}; stopping, exit code 1", name, why);
                      exitCode = 1;
                      new Thread(this::stopAndRelease, "lmp-" + name + "-failed").start();
                    }),
        period.toMillis(),
        period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Adds {@code part}, started: it is stopped before every part added earlier. A part added once
   * the stop began is stopped at once, and the start fails.
   */
  <T extends AutoCloseable> T add(T part) {
    synchronized (this) {
      if (!stopping) {
        parts.add(part);
        return part;
      }
    }
    stop(part);
    throw new IllegalStateException("lmp " + name + " is stopping");
  }

  /**
   * Adds {@code part}, started, as the front door (the HTTP API): it is stopped before every other
   * part, so that no request comes in while what answers it stops.
   */
  <T extends AutoCloseable> T frontDoor(T part) {
    String refused;
    synchronized (this) {
      if (stopping) {
        refused = "lmp " + name + " is stopping";
      } else if (frontDoor != null) {
        refused = "lmp " + name + " has a front door already";
      } else {
        frontDoor = part;
        return part;
      }
    }
    stop(part);
    throw new IllegalStateException(refused);
  }

  /**
   * Stops every part in another thread and waits for it up to {@code deadline}; past it, logs the
   * part still stopping and returns.
   *
   * @return whether every part stopped in time
   */
  boolean stopWithin(Duration deadline) {
    Thread stopper = new Thread(this::stop, "lmp-" + name + "-stop");
    stopper.setDaemon(true);
    stopper.start();
    try {
      stopper.join(deadline.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (stopper.isAlive()) {
      LOG.warn(
          "lmp {}: {} still stopping after {}; exiting without waiting for it",
          name,
          what(stoppingNow),
          deadline);
      return false;
    }
    return true;
  }

  /** Stops every part now: the front door, then the others in reverse order; idempotent. */
  void stop() {
    List<AutoCloseable> order = new ArrayList<>();
    synchronized (this) {
      stopping = true;
      if (frontDoor != null) {
        order.add(frontDoor);
        frontDoor = null;
      }
      for (int i = parts.size() - 1; i >= 0; i--) {
        order.add(parts.get(i));
      }
      parts.clear();
    }
    order.forEach(this::stop);
  }

  private void stop(AutoCloseable part) {
    stoppingNow = part;
    try {
      part.close();
    } catch (Exception e) {
      LOG.warn("lmp {}: error while stopping {}: {}", name, what(part), e.toString());
    }
  }

  private static String what(AutoCloseable part) {
    return part == null ? "nothing" : part.getClass().getSimpleName();
  }
}

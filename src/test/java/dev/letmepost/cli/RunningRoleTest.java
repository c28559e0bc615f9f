package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RunningRole}: how a long-running command starts its parts, waits for the stop and stops
 * them, with the JVM's shutdown hooks replaced by a test's.
 */
@Timeout(30)
class RunningRoleTest {
  private final List<String> stopped = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Hooks hooks = new Hooks();

  /** The test's shutdown hooks: the hook the role installed, run when the test says so. */
  private static final class Hooks implements RunningRole.ShutdownHooks {
    final CompletableFuture<Thread> added = new CompletableFuture<>();
    volatile Thread removed;
    volatile boolean shuttingDown;

    @Override
    public void add(Thread hook) {
      added.complete(hook);
    }

    @Override
    public void remove(Thread hook) {
      if (shuttingDown) {
        throw new IllegalStateException("Shutdown in progress");
      }
      removed = hook;
    }

    /** What the JVM does on SIGTERM: runs the hook, here on its own thread as the JVM does. */
    void stop() throws Exception {
      Thread hook = added.get(10, TimeUnit.SECONDS);
      hook.start();
      hook.join();
    }
  }

  private AutoCloseable part(String name) {
    return () -> stopped.add(name);
  }

  /** Runs the role "test" here, stopping within 10 s. */
  private int run(RunningRole.Start start) throws Exception {
    return RunningRole.run("test", start, Duration.ofSeconds(10), hooks);
  }

  /** Runs the role "test" on a thread of its own, as {@code main} does. */
  private CompletableFuture<Integer> runInBackground(RunningRole.Start start, Duration deadline) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return RunningRole.run("test", start, deadline, hooks);
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        },
        r -> {
          Thread t = new Thread(r, "test-role");
          t.setDaemon(true);
          t.start();
        });
  }

  /** {@link #runInBackground}, answered once {@code start} has returned. */
  private CompletableFuture<Integer> started(RunningRole.Start start, Duration deadline)
      throws InterruptedException {
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<Integer> run =
        runInBackground(
            role -> {
              start.start(role);
              started.countDown();
            },
            deadline);
    assertThat(started.await(10, TimeUnit.SECONDS)).as("started").isTrue();
    return run;
  }

  @Test
  void runsUntilTheStopThenStopsTheFrontDoorFirstAndTheOtherPartsInReverseOrder() throws Exception {
    CompletableFuture<Integer> run =
        started(
            role -> {
              role.add(part("health"));
              role.frontDoor(part("gateway"));
              role.add(part("services"));
              role.add(part("webhooks"));
            },
            Duration.ofSeconds(10));

    assertThat(run).isNotDone();
    assertThat(stopped).isEmpty();

    hooks.stop();

    assertThat(run.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(stopped).containsExactly("gateway", "webhooks", "services", "health");
    assertThat(hooks.removed).isNull();
  }

  /**
   * Regression: a gateway whose ledger had died (state ERROR) kept running and answered 503
   * ledger_unavailable to every request, its process alive, so no supervisor restarted it.
   */
  @Test
  void aPartThatDiesForGoodStopsTheRoleWithExitCode1() throws Exception {
    AtomicReference<String> failure = new AtomicReference<>();
    CompletableFuture<Integer> run =
        started(
            role -> {
              role.add(part("health"));
              role.frontDoor(part("gateway"));
              role.add(part("services"));
              role.stopWhen(() -> Optional.ofNullable(failure.get()), Duration.ofMillis(5));
            },
            Duration.ofSeconds(10));

    assertThat(run).isNotDone();
    failure.set("the ledger is in state ERROR");

    assertThat(run.get(10, TimeUnit.SECONDS)).isEqualTo(1);
    assertThat(stopped).containsExactly("gateway", "services", "health");
  }

  @Test
  void aPartThatFailsToStopDoesNotKeepTheOthersRunning() throws Exception {
    CompletableFuture<Integer> run =
        started(
            role -> {
              role.add(part("first"));
              role.add(
                  () -> {
                    throw new IllegalStateException("broken");
                  });
              role.add(part("last"));
            },
            Duration.ofSeconds(10));

    hooks.stop();

    assertThat(run.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(stopped).containsExactly("last", "first");
  }

  @Test
  void aStartThatFailsStopsWhatItStartedRemovesItsHookAndRethrows() {
    assertThatThrownBy(
            () ->
                run(
                    role -> {
                      role.frontDoor(part("gateway"));
                      role.add(part("services"));
                      throw new IllegalArgumentException("--flag must be positive, got -1");
                    }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--flag must be positive, got -1");

    assertThat(stopped).containsExactly("gateway", "services");
    assertThat(hooks.removed).isSameAs(hooks.added.getNow(null));
  }

  /** A start that fails while the JVM already stops leaves the stopping to the hook. */
  @Test
  void aStartThatFailsDuringTheShutdownLeavesTheStopToTheHook() throws Exception {
    hooks.shuttingDown = true;
    assertThatThrownBy(
            () ->
                run(
                    role -> {
                      role.add(part("services"));
                      throw new IllegalStateException("the ledger did not reach RUNNING");
                    }))
        .hasMessage("the ledger did not reach RUNNING");
    assertThat(stopped).isEmpty();

    hooks.stop();

    assertThat(stopped).containsExactly("services");
  }

  /** A stop asked for during the start stops what started, and refuses what starts after it. */
  @Test
  void aPartStartedAfterTheStopBeganIsStoppedAtOnceAndTheStartFails() throws Exception {
    CountDownLatch stopAsked = new CountDownLatch(1);
    CompletableFuture<Integer> run =
        runInBackground(
            role -> {
              role.add(part("broker"));
              stopAsked.await();
              role.add(part("ledger"));
            },
            Duration.ofSeconds(10));
    Thread hook = hooks.added.get(10, TimeUnit.SECONDS);
    hooks.shuttingDown = true;
    hook.start();
    hook.join();
    stopAsked.countDown();

    assertThat(run)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat()
        .withMessageContaining("lmp test is stopping");
    assertThat(stopped).containsExactly("broker", "ledger");
  }

  @Test
  void aPartStillStoppingAtTheDeadlineIsLeftBehind() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Integer> run =
        started(
            role -> {
              role.add(part("health"));
              role.add(() -> release.await());
            },
            Duration.ofMillis(200));

    long start = System.nanoTime();
    hooks.stop();

    assertThat(run.get(10, TimeUnit.SECONDS)).isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(stopped).as("not reached: the part before it still stops").isEmpty();
    release.countDown();
  }

  @Test
  void aRoleHasOneFrontDoor() throws Exception {
    assertThatThrownBy(
            () ->
                run(
                    role -> {
                      role.frontDoor(part("gateway"));
                      role.frontDoor(part("another"));
                    }))
        .hasMessage("lmp test has a front door already");
    assertThat(stopped).containsExactly("another", "gateway");
  }
}

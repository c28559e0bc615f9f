package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lanes themselves: a job that throws is told so, and its account's next job still runs. */
class AccountLanesTest {
  final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(2);
  final AccountLanes lanes = new AccountLanes(executor, Clock.systemUTC());
  final List<String> events = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  /**
   * Regression: a job whose step threw was logged and dropped from its lane without being told, so
   * a publisher task in it never got an outcome. Now the lane calls {@code crashed} with the error,
   * and the account's next job runs.
   */
  @Test
  void aJobThatThrowsIsToldSoAndTheAccountsNextJobStillRuns() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    lanes.submit(
        "acc_1",
        new AccountLanes.Job() {
          @Override
          public AccountLanes.Again runOnce() {
            events.add("run 1");
            throw new IllegalStateException("broken step");
          }

          @Override
          public void crashed(RuntimeException e) {
            events.add("crashed 1: " + e.getMessage());
          }
        });
    lanes.submit(
        "acc_1",
        new AccountLanes.Job() {
          @Override
          public AccountLanes.Again runOnce() {
            events.add("run 2");
            done.countDown();
            return null;
          }

          @Override
          public void crashed(RuntimeException e) {
            events.add("crashed 2");
          }
        });

    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(events).containsExactly("run 1", "crashed 1: broken step", "run 2");
  }

  /** A job that runs {@code steps} times, asking to run again after each but the last. */
  AccountLanes.Job job(String name, int steps, boolean holdAccount, CountDownLatch done) {
    return new AccountLanes.Job() {
      int run;

      @Override
      public AccountLanes.Again runOnce() {
        run++;
        events.add(name + run);
        if (run < steps) {
          return new AccountLanes.Again(Instant.now().plusMillis(50), holdAccount);
        }
        done.countDown();
        return null;
      }

      @Override
      public void crashed(RuntimeException e) {
        events.add("crashed " + name);
      }
    };
  }

  /** A job's own wait lets the account's next job run; the account's wait holds the lane. */
  @Test
  void anOwnWaitLetsTheAccountsNextJobRunAndAnAccountWaitHoldsTheLane()
      throws InterruptedException {
    CountDownLatch own = new CountDownLatch(2);
    lanes.submit("acc_1", job("a", 2, false, own));
    lanes.submit("acc_1", job("b", 1, false, own));
    assertThat(own.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(events).containsExactly("a1", "b1", "a2");

    events.clear();
    CountDownLatch held = new CountDownLatch(2);
    lanes.submit("acc_2", job("c", 2, true, held));
    lanes.submit("acc_2", job("d", 1, true, held));
    assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(events).containsExactly("c1", "c2", "d1");
  }
}

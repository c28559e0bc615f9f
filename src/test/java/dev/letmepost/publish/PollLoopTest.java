package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.TargetOutcome;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The poll thread's pace: how long it waits in a poll, and so how soon an outcome is written. */
class PollLoopTest extends WorkerHarness {
  /**
   * A call ends on its lane thread and its outcome is written by the poll thread after its next
   * poll: while the call runs, no poll may wait the idle timeout, or the outcome would wait for it.
   */
  @Test
  void aFinishedCallIsWrittenAfterAShortPollNotTheIdleOne() {
    addAccount("acc_1", Account.Status.connected, "env:TOKEN");
    CountDownLatch release = new CountDownLatch(1);
    connector.holds.put("acc_1", release);
    start();
    deliver(0, 0, task("t1", "acc_1"));
    await().atMost(Duration.ofSeconds(10)).until(() -> connector.calls.contains("publish:t1"));

    consumer.forgetTimeouts();
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.pollTimeouts.size() > 0);
    assertThat(Set.copyOf(consumer.pollTimeouts))
        .as("the polls while the call runs")
        .containsOnly(PollLoop.BUSY_POLL_TIMEOUT);
    assertThat(PollLoop.BUSY_POLL_TIMEOUT).isLessThan(PollLoop.POLL_TIMEOUT);

    release.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> outcomes().size() == 1);
    assertThat(outcomes().get(0).status()).isEqualTo(TargetOutcome.Status.published);

    // Once nothing is held, the poll waits for tasks again.
    consumer.forgetTimeouts();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> consumer.pollTimeouts.contains(PollLoop.POLL_TIMEOUT));
  }
}

package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.letmepost.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The test scheduler runs a task when the clock reaches its time, never before, never by waiting.
 */
class VirtualTimeSchedulerTest {
  final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
  final VirtualTimeScheduler scheduler = new VirtualTimeScheduler(clock);
  final List<String> ran = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void aDelayedTaskRunsOnceTheClockReachesItsTimeAndNotBefore() {
    ScheduledFuture<?> later =
        scheduler.schedule(() -> ran.add("later"), 30, TimeUnit.MILLISECONDS);
    scheduler.schedule(() -> ran.add("now"), 0, TimeUnit.MILLISECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> ran.size() == 1);

    clock.advance(Duration.ofMillis(29));
    assertThat(scheduler.waiting()).isEqualTo(1);
    assertThat(later.getDelay(TimeUnit.MILLISECONDS)).isEqualTo(1);
    assertThat(ran).containsExactly("now");

    clock.advance(Duration.ofMillis(1));
    await().atMost(Duration.ofSeconds(5)).until(later::isDone);
    assertThat(ran).containsExactly("now", "later");
    assertThat(scheduler.waiting()).isZero();
  }

  @Test
  void afterShutdownNothingRunsAndNothingIsAccepted() {
    scheduler.schedule(() -> ran.add("never"), 1, TimeUnit.SECONDS);

    assertThat(scheduler.shutdownNow()).hasSize(1);
    clock.advance(Duration.ofSeconds(2));

    assertThat(ran).isEmpty();
    assertThat(scheduler.isShutdown()).isTrue();
    assertThatThrownBy(() -> scheduler.schedule(() -> ran.add("late"), 0, TimeUnit.SECONDS))
        .isInstanceOf(RejectedExecutionException.class);
  }
}

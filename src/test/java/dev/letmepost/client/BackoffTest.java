package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The one backoff formula: doubling to a cap, and its jitter within the upper half. */
class BackoffTest {
  static final Backoff HALF_SECOND_TO_THIRTY =
      new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));

  /** The backoff doubles after each failure in a row and stays at its cap. */
  @Test
  void backoffIsCappedExponential() {
    assertThat(IntStream.rangeClosed(1, 9).mapToObj(HALF_SECOND_TO_THIRTY::delay))
        .containsExactly(
            Duration.ofMillis(500),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            Duration.ofSeconds(4),
            Duration.ofSeconds(8),
            Duration.ofSeconds(16),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30));
    assertThat(HALF_SECOND_TO_THIRTY.delay(1_000_000)).isEqualTo(Duration.ofSeconds(30));
    assertThat(HALF_SECOND_TO_THIRTY.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(30));
  }

  /**
   * The default is the readers' and the publisher workers' restart delays: 500 ms, doubled after
   * each failure in a row, at most 30 s.
   */
  @Test
  void theDefaultIsHalfASecondDoublingToThirty() {
    assertThat(Backoff.DEFAULT).isEqualTo(HALF_SECOND_TO_THIRTY);
  }

  /** A backoff whose cap is below its start is refused, naming both. */
  @Test
  void backoffCapBelowItsStartIsRefused() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max backoff PT1S must not be below the initial PT2S");
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initial backoff must be positive, got PT0S");
    assertThatThrownBy(() -> HALF_SECOND_TO_THIRTY.delay(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failures must be at least 1, got 0");
  }

  /** The jittered delay lies from half the nominal delay (r = 0) to all of it (r = 1). */
  @Test
  void backoffIsCappedAndJitteredWithinItsUpperHalf() {
    assertThat(HALF_SECOND_TO_THIRTY.delay(31, () -> 0.0)).isEqualTo(Duration.ofSeconds(15));
    assertThat(HALF_SECOND_TO_THIRTY.delay(31, () -> 1.0)).isEqualTo(Duration.ofSeconds(30));
    assertThat(HALF_SECOND_TO_THIRTY.delay(1, () -> 1.0)).isEqualTo(Duration.ofMillis(500));
    assertThat(HALF_SECOND_TO_THIRTY.delay(1, () -> 0.5)).isEqualTo(Duration.ofMillis(375));
  }

  /**
   * A publish task's backoff never reached a cap more than 20 doublings above its base. TaskRun's
   * copy of the formula shifted the base left by at most 20 ({@code base << min(failures, 20)}), so
   * with a base of 1 ms and a cap of 1 h every wait after the 21st failure stayed at 2^20 ms (about
   * 17.5 min). The one formula doubles until the cap, whatever the ratio.
   */
  @Test
  void aCapMoreThanTwentyDoublingsAboveTheStartIsReached() {
    Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofHours(1));

    assertThat(b.delay(21)).isEqualTo(Duration.ofMillis(1 << 20));
    assertThat(b.delay(22)).isEqualTo(Duration.ofMillis(1 << 21));
    assertThat(b.delay(40)).isEqualTo(Duration.ofHours(1));
    assertThat(b.delay(40, () -> 1.0)).isEqualTo(Duration.ofHours(1));
  }
}

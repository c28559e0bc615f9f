package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A publisher's settings: defaults and the refusal of bad values, naming them. */
class PublisherConfigTest {
  static final PublisherConfig DEFAULTS =
      PublisherConfig.defaults(Topics.defaults(), Platform.MASTODON, "p1");

  @Test
  void theHandOverWaitDefaultsToTenSecondsAndMayBeZeroOrTheMaximum() {
    assertThat(DEFAULTS.handOverWait()).isEqualTo(Duration.ofSeconds(10));
    assertThat(DEFAULTS.with(c -> c.handOverWait = Duration.ZERO).handOverWait()).isZero();
    assertThat(
            DEFAULTS.with(c -> c.handOverWait = PublisherConfig.MAX_HAND_OVER_WAIT).handOverWait())
        .isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aHandOverWaitNegativeOrLongerThanThirtySecondsIsRefusedNamingIt() {
    assertThatThrownBy(() -> DEFAULTS.with(c -> c.handOverWait = Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("hand-over wait")
        .hasMessageContaining("PT-0.001S");
    assertThatThrownBy(() -> DEFAULTS.with(c -> c.handOverWait = Duration.ofSeconds(31)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PT31S")
        .hasMessageContaining("max.poll.interval.ms");
    assertThatThrownBy(() -> DEFAULTS.with(c -> c.handOverWait = null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got null");
  }
}

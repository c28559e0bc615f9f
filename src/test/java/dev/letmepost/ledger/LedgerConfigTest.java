package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The rules LedgerConfig refuses to start without. */
class LedgerConfigTest {
  private static final LedgerConfig DEFAULTS = LedgerConfig.defaults(new Topics("t."));

  /**
   * Broke: the default grace was 60 s while a Bluesky call lasts up to 100 s (4 requests of 25 s)
   * and a Threads call 75 s: a worker that started its last call just before the deadline wrote its
   * outcome after the ledger had closed the target as unknown, although the post existed.
   */
  @Test
  void outcomeGraceShorterThanTheLongestPlatformCallIsRefusedNamingBoth() {
    assertThatThrownBy(() -> DEFAULTS.with(c -> c.outcomeGrace = Duration.ofSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "outcomeGrace (PT1M) must be at least the longest platform call (PT1M40S: bluesky,"
                + " 4 requests of at most PT25S), or an outcome written after a slow call would find"
                + " its target already unknown; the default is PT2M");
  }

  @Test
  void defaultOutcomeGraceCoversEveryPlatformsLongestCallWithAMargin() {
    for (Platform p : Platform.values()) {
      assertThat(DEFAULTS.outcomeGrace())
          .as(p.wireName())
          .isGreaterThanOrEqualTo(p.longestCallTime().plus(LedgerConfig.OUTCOME_GRACE_MARGIN));
    }
    assertThat(DEFAULTS.outcomeGrace()).isEqualTo(Duration.ofSeconds(120));
    assertThat(DEFAULTS.with(c -> c.outcomeGrace = Duration.ofSeconds(100)).outcomeGrace())
        .isEqualTo(Platform.BLUESKY.longestCallTime());
  }

  /**
   * LiveRecord finds a command's replay record among the records of the last TTL before its broker
   * time; a command decided a full TTL (or more) after that time could miss it, so the lag must be
   * shorter than the TTL.
   */
  @Test
  void maxCommandLagNotShorterThanTheReplayTtlIsRefusedNamingBoth() {
    assertThatThrownBy(() -> DEFAULTS.with(c -> c.maxCommandLag = Duration.ofHours(24)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxCommandLag (PT24H) must be shorter than replayTtl (PT24H)");
    assertThatThrownBy(() -> DEFAULTS.with(c -> c.replayTtl = Duration.ofHours(6)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxCommandLag (PT6H) must be shorter than replayTtl (PT6H)");
    assertThat(DEFAULTS.with(c -> c.maxCommandLag = Duration.ofHours(23)).maxCommandLag())
        .hasHours(23);
  }
}

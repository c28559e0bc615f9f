package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The bounded, time-limited ids {@code GET /v1/requests/{id}} falls back to. */
class RecentRequestsTest {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  /** A clock the test moves. */
  static final class MovingClock extends Clock {
    Instant now = T0;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  static LedgerAnswer replay(String requestId) {
    return new LedgerAnswer(
        requestId, 201, true, "K", "batch_1", null, "{}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anIdReadsForItsPrincipalOnlyUntilItsTtlIsOver() {
    MovingClock clock = new MovingClock();
    RecentRequests recent = new RecentRequests(clock, 10, Duration.ofMinutes(10));
    recent.pending("req_1", "key_alice", "K");

    assertThat(recent.get("req_1", "key_alice")).get().matches(RecentRequests.Entry::pending);
    assertThat(recent.get("req_1", "key_bob")).isEmpty();
    clock.now = T0.plus(Duration.ofMinutes(10)).minusMillis(1);
    assertThat(recent.get("req_1", "key_alice")).isPresent();
    clock.now = T0.plus(Duration.ofMinutes(10));
    assertThat(recent.get("req_1", "key_alice")).isEmpty();
    assertThat(recent.size()).isZero();
  }

  @Test
  void theOldestIdsGoBeyondTheCapacity() {
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, Duration.ofMinutes(10));
    for (int i = 1; i <= 5; i++) {
      recent.pending("req_" + i, "key_alice", null);
    }

    assertThat(recent.size()).isEqualTo(3);
    assertThat(recent.get("req_2", "key_alice")).isEmpty();
    assertThat(recent.get("req_3", "key_alice")).isPresent();
    assertThat(recent.get("req_5", "key_alice")).isPresent();
  }

  @Test
  void anAnswerIsNotTurnedBackIntoPending() {
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, Duration.ofMinutes(10));
    recent.answered("key_alice", replay("req_1"));
    recent.pending("req_1", "key_alice", "K");

    assertThat(recent.get("req_1", "key_alice").orElseThrow().answer()).isNotNull();
  }
}

package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.client.Answer;
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

  static Answer replay(String requestId) {
    return new Answer(
        requestId, 201, true, "K", "batch_1", null, "{}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anIdReadsForItsPrincipalOnlyUntilItsTtlIsOver() {
    MovingClock clock = new MovingClock();
    RecentRequests recent = new RecentRequests(clock, 10, 10, Duration.ofMinutes(10));
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
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, 10, Duration.ofMinutes(10));
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
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, 10, Duration.ofMinutes(10));
    recent.answered("key_alice", "fp_1", replay("req_1"));
    recent.pending("req_1", "key_alice", "K");

    assertThat(recent.get("req_1", "key_alice").orElseThrow().pending()).isFalse();
  }

  /**
   * The ids were one list for every principal: a principal sending 10,000 requests answered 202
   * evicted every other principal's ids, whose polls then read 404. Each principal now has its own
   * bound: Alice's flood evicts only Alice's oldest ids.
   */
  @Test
  void onePrincipalsIdsEvictOnlyItsOwnOldest() {
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, 10, Duration.ofMinutes(10));
    recent.pending("req_bob", "key_bob", null);
    recent.answered("key_bob", "fp_b", replay("req_bob_replay"));
    for (int i = 1; i <= 100; i++) {
      recent.pending("req_" + i, "key_alice", null);
    }

    assertThat(recent.size("key_alice")).isEqualTo(3);
    assertThat(recent.get("req_97", "key_alice")).isEmpty();
    assertThat(recent.get("req_98", "key_alice")).isPresent();
    assertThat(recent.get("req_bob", "key_bob")).isPresent();
    assertThat(recent.get("req_bob_replay", "key_bob")).isPresent();
    assertThat(recent.size()).isEqualTo(5);
  }

  /**
   * A fast-path id kept a full copy of its answer (up to the ~1 MB envelope) for an hour; it keeps
   * the reference to the replay record now, from which the answer is read again.
   */
  @Test
  void aFastPathIdKeepsTheReferenceToItsReplayRecordNotTheAnswer() {
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, 10, Duration.ofMinutes(10));
    recent.answered("key_alice", "fp_1", replay("req_1"));

    RecentRequests.Entry e = recent.get("req_1", "key_alice").orElseThrow();
    assertThat(e)
        .isEqualTo(
            new RecentRequests.Entry(
                "req_1", "key_alice", "K", "fp_1", "batch_1", T0.plus(Duration.ofMinutes(10))));
    assertThat(RecentRequests.Entry.class.getRecordComponents())
        .extracting(c -> c.getType().getSimpleName())
        .doesNotContain("Answer", "byte[]");
  }

  /** Past the principals bound, the principal used least recently goes with its ids. */
  @Test
  void pastThePrincipalsBoundTheLeastRecentlyUsedPrincipalGoes() {
    RecentRequests recent = new RecentRequests(new MovingClock(), 3, 2, Duration.ofMinutes(10));
    recent.pending("req_a", "key_a", null);
    recent.pending("req_b", "key_b", null);
    assertThat(recent.get("req_a", "key_a")).isPresent();
    recent.pending("req_c", "key_c", null);

    assertThat(recent.get("req_b", "key_b")).isEmpty();
    assertThat(recent.get("req_a", "key_a")).isPresent();
    assertThat(recent.get("req_c", "key_c")).isPresent();
  }
}

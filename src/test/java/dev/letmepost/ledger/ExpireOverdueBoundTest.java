package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.PublishTask;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wall-clock work of one punctuation or tick is bounded ({@link ExpireOverdue#MAX_PER_CALL})
 * and the rest carried over, nothing lost or done twice.
 */
class ExpireOverdueBoundTest {
  static final int BATCHES = 1_200;
  static final Instant DUE = T0.plus(Duration.ofMinutes(1));

  LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger = new LedgerHarness().account("acc_tw", "twitter");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /**
   * Broke (issue 18, item 10): a campaign of 1,200 batches scheduled for one minute was released in
   * one punctuation, one transaction against a 5 s timeout; when it aborted, the next attempt did
   * the same. Now each punctuation releases at most 500, the earliest first, and the next interval
   * goes on from the first not released.
   */
  @Test
  void aCampaignDueAtOneMinuteIsReleasedAtMostFiveHundredPerPunctuation() {
    scheduleCampaign();

    ledger.advanceWallClock(Duration.ofMinutes(1));
    List<PublishTask> first = ledger.allTasks();
    ledger.advanceWallClock(Duration.ofSeconds(1));
    List<PublishTask> second = ledger.allTasks();
    ledger.advanceWallClock(Duration.ofSeconds(1));
    List<PublishTask> third = ledger.allTasks();
    ledger.advanceWallClock(Duration.ofSeconds(1));

    assertThat(first).hasSize(ExpireOverdue.MAX_PER_CALL);
    assertThat(second).hasSize(ExpireOverdue.MAX_PER_CALL);
    assertThat(third).hasSize(BATCHES - 2 * ExpireOverdue.MAX_PER_CALL);
    assertThat(ledger.allTasks()).isEmpty();
    List<PublishTask> all = new ArrayList<>(first);
    all.addAll(second);
    all.addAll(third);
    assertThat(all.stream().map(PublishTask::batchId).distinct()).hasSize(BATCHES);
    assertThat(ledger.timers()).hasSize(BATCHES).allMatch(k -> k.startsWith("d|"));
  }

  /**
   * The same for closing: 1,200 batches released together whose outcomes never come are overdue at
   * the same tick; each tick closes at most 500, each punctuation that still finds one overdue
   * writes the next tick, and every request is answered once, {@code unknown}.
   */
  @Test
  void overdueBatchesAreClosedAtMostFiveHundredPerTick() {
    for (int i = 0; i < BATCHES; i++) {
      ledger.command(LedgerHarness.body("acc_tw")).key("now-" + i).request("req-" + i).send();
    }
    assertThat(ledger.allTasks()).hasSize(BATCHES);
    ledger.advanceWallClock(
        LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).minusSeconds(1));
    assertThat(ledger.results()).isEmpty();

    List<Integer> perTick = new ArrayList<>();
    Set<String> answered = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      ledger.advanceWallClock(Duration.ofSeconds(1));
      List<TestRecord<String, byte[]>> results = ledger.results();
      perTick.add(results.size());
      for (TestRecord<String, byte[]> r : results) {
        assertThat(answered.add(r.key())).as("answered once: " + r.key()).isTrue();
        assertThat(json(r.value()).at("/results/0/status").asText()).isEqualTo("unknown");
      }
    }

    assertThat(perTick)
        .containsExactly(
            ExpireOverdue.MAX_PER_CALL,
            ExpireOverdue.MAX_PER_CALL,
            BATCHES - 2 * ExpireOverdue.MAX_PER_CALL,
            0);
    assertThat(answered).hasSize(BATCHES);
    assertThat(ledger.timers()).isEmpty();
  }

  /** 1,200 one-target posts, each scheduled for {@link #DUE}, each answered 202. */
  private void scheduleCampaign() {
    String body =
        "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"launch\",\"scheduledAt\":\""
            + DUE
            + "\"}";
    for (int i = 0; i < BATCHES; i++) {
      ledger.command(body).key("campaign-" + i).request("req-" + i).send();
    }
    List<TestRecord<String, byte[]>> accepted = ledger.results();
    assertThat(accepted).hasSize(BATCHES);
    assertThat(ledger.timers()).hasSize(BATCHES);
    assertThat(ledger.allTasks()).isEmpty();
  }
}

package dev.letmepost.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Topics;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WrittenTest {
  private final Topics topics = new Topics("b1.");
  private final Written written = new Written(topics);

  @Test
  void everyTopicOfTheLedgerAndTheBaselinesHasItsKind() {
    assertThat(written.kind("b1.publish.bluesky")).isEqualTo(Written.TASKS);
    assertThat(written.kind("b1.ledger-replay-records-changelog")).isEqualTo(Written.CHANGELOGS);
    assertThat(written.kind("b1.ledger-by-fingerprint-repartition")).isEqualTo(Written.REPARTITION);
    assertThat(written.kind("b1.post-results")).isEqualTo(Written.RESULTS);
    assertThat(written.kind("b1.target-outcomes")).isEqualTo(Written.OUTCOMES);
    assertThat(written.kind(Baselines.passthroughOutput(topics))).isEqualTo(Written.OUTPUT);
    assertThat(written.kind(Baselines.dedupOutputs(topics, 2).get(1))).isEqualTo(Written.OUTPUT);
    assertThat(written.kind("b1.bench-dedup-dedup-seen-changelog")).isEqualTo(Written.CHANGELOGS);
    assertThat(written.kind("b1.post-events")).isEqualTo(Written.EVENTS);
    assertThat(written.kind("b1.dead-letters")).isEqualTo(Written.OTHER);
    assertThat(written.kind("b1.post-commands")).as("the input is not counted").isNull();
  }

  @Test
  void recordsPerInputAreTheOffsetGrowthByKindOverTheInputs() {
    Map<String, Long> before =
        Map.of(
            "b1.post-commands", 100L,
            "b1.publish.bluesky", 10L,
            "b1.publish.twitter", 10L,
            "b1.post-results", 5L,
            "b1.dead-letters", 7L);
    Map<String, Long> after =
        Map.of(
            "b1.post-commands", 300L,
            "b1.publish.bluesky", 210L,
            "b1.publish.twitter", 410L,
            "b1.post-results", 205L,
            "b1.dead-letters", 7L,
            // created during the phase: counts from 0
            "b1.ledger-request-index-changelog", 50L);

    Map<String, Double> perInput = written.perInput(before, after, 200);

    assertThat(perInput)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(Written.TASKS, 3.0, Written.RESULTS, 1.0, Written.CHANGELOGS, 0.25));
  }

  @Test
  void aPhaseWithoutInputsIsRefusedByValue() {
    assertThatThrownBy(() -> written.perInput(Map.of(), Map.of(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }
}

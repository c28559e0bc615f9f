package dev.letmepost.lanes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The lanes on their own: order per lane, one in flight per lane, a bound per group. */
class LanesTest {
  @Test
  void aLaneRunsItsItemsOneAtATimeInArrivalOrder() {
    Lanes<String> lanes = new Lanes<>(1);
    lanes.add("acc_1", "acc_1", "a");
    lanes.add("acc_1", "acc_1", "b");

    assertThat(lanes.start("acc_1")).isEqualTo("a");
    assertThat(lanes.start("acc_1")).as("one in flight per lane").isNull();
    assertThat(lanes.held("acc_1")).isEqualTo(2);
    assertThat(lanes.finish("acc_1", "a")).isTrue();
    assertThat(lanes.start("acc_1")).isEqualTo("b");
    assertThat(lanes.finish("acc_1", "b")).isTrue();
    assertThat(lanes.keys()).as("a lane that holds nothing is forgotten").isEmpty();
    assertThat(lanes.held()).isZero();
  }

  @Test
  void itemsRunInTheGivenOrderTiesInArrivalOrder() {
    Lanes<int[]> lanes = new Lanes<>(Comparator.comparingInt((int[] x) -> x[0]), 4);
    int[] late = {2, 0};
    int[] early = {1, 0};
    int[] earlyToo = {1, 1};
    lanes.add("we_a", "alice", late);
    lanes.add("we_a", "alice", early);
    lanes.add("we_a", "alice", earlyToo);

    assertThat(lanes.head("we_a")).isSameAs(early);
    assertThat(lanes.queued("we_a")).containsExactly(early, earlyToo, late);
    assertThat(lanes.drop("we_a")).isSameAs(early);
    assertThat(lanes.queued("we_a")).containsExactly(earlyToo, late);
  }

  @Test
  void aGroupAtItsBoundWaitsWhileAnotherGroupStarts() {
    Lanes<String> lanes = new Lanes<>(2);
    for (String key : List.of("we_a1", "we_a2", "we_a3")) {
      lanes.add(key, "alice", key + "/1");
    }
    lanes.add("we_b1", "bob", "we_b1/1");

    String first = lanes.start("we_a1");
    assertThat(first).isEqualTo("we_a1/1");
    assertThat(lanes.start("we_a2")).isEqualTo("we_a2/1");
    assertThat(lanes.start("we_a3")).as("alice has 2 in flight").isNull();
    assertThat(lanes.head("we_a3")).as("it waits at its lane's head").isEqualTo("we_a3/1");
    assertThat(lanes.start("we_b1")).isEqualTo("we_b1/1");
    assertThat(lanes.inFlight()).isEqualTo(3);

    assertThat(lanes.finish("we_a1", first)).isTrue();
    assertThat(lanes.start("we_a3")).isEqualTo("we_a3/1");
  }

  @Test
  void finishingAnItemNotInFlightChangesNothing() {
    Lanes<String> lanes = new Lanes<>(1);
    lanes.add("k", "g", "a");
    lanes.add("k", "g", "b");
    lanes.start("k");

    assertThat(lanes.finish("k", "b")).isFalse();
    assertThat(lanes.finish("other", "a")).isFalse();
    assertThat(lanes.inFlight("k")).isEqualTo("a");
    assertThat(lanes.inFlight()).isEqualTo(1);
  }

  @Test
  void removedItemsLeaveTheLaneAndTheLaneKeepsItsGroup() {
    Lanes<String> lanes = new Lanes<>(1);
    lanes.add("k", "g", "a1");
    lanes.add("k", "other", "b1");
    lanes.add("k", "g", "a2");
    lanes.start("k");

    assertThat(lanes.group("k")).isEqualTo("g");
    assertThat(lanes.remove("k", x -> x.startsWith("a"))).containsExactly("a2");
    assertThat(lanes.holds("k", "a1"::equals)).as("in flight, not removed").isTrue();
    assertThat(lanes.holds("k", "a2"::equals)).isFalse();
    assertThat(lanes.queued("k")).containsExactly("b1");
    assertThat(lanes.remove("missing", x -> true)).isEmpty();
  }

  @Test
  void aGroupBoundBelowOneIsRefused() {
    assertThatThrownBy(() -> new Lanes<String>(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("in flight per group must be at least 1, got 0");
  }
}

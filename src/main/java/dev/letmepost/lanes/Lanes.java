package dev.letmepost.lanes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Items of work in one lane per key: a lane queues its key's items in a given order (ties, and
 * lanes without an order, in arrival order) and has at most one in flight; the lanes of one group
 * have at most {@code inFlightPerGroup} in flight together. A lane that holds nothing, queued or in
 * flight, is forgotten. Not thread-safe: its owner calls it holding one lock.
 *
 * @param <T> an item of work; compared by identity
 */
public final class Lanes<T> {
  /*
   * What a lane runs, and when, is its owner's: it asks start() for a lane's head when it may run
   * it (due, or the lane's turn on an executor), runs it outside its lock, and calls finish() when
   * it is done. A head that may not start (its group is at its bound) waits at the head, so the
   * lane's order holds; the other groups' lanes go on.
   */

  private record Slot<T>(T item, long arrival) {}

  private static final class Lane<T> {
    final String group;
    final PriorityQueue<Slot<T>> queue;
    T inFlight;

    Lane(String group, Comparator<Slot<T>> order) {
      this.group = group;
      this.queue = new PriorityQueue<>(order);
    }

    int held() {
      return queue.size() + (inFlight == null ? 0 : 1);
    }
  }

  private final Comparator<Slot<T>> order;
  private final int inFlightPerGroup;
  private final Map<String, Lane<T>> lanes = new LinkedHashMap<>();
  private final Map<String, Integer> inFlightByGroup = new HashMap<>();
  private long arrivals;

  /** Lanes whose items run in arrival order. */
  public Lanes(int inFlightPerGroup) {
    this.order = Comparator.<Slot<T>>comparingLong(Slot::arrival);
    this.inFlightPerGroup = positive(inFlightPerGroup);
  }

  /** Lanes whose items run in {@code order}, ties in arrival order. */
  public Lanes(Comparator<? super T> order, int inFlightPerGroup) {
    Objects.requireNonNull(order, "order");
    this.order =
        Comparator.<Slot<T>, T>comparing(Slot::item, order).thenComparingLong(Slot::arrival);
    this.inFlightPerGroup = positive(inFlightPerGroup);
  }

  private static int positive(int inFlightPerGroup) {
    if (inFlightPerGroup < 1) {
      throw new IllegalArgumentException(
          "in flight per group must be at least 1, got " + inFlightPerGroup);
    }
    return inFlightPerGroup;
  }

  /**
   * Queues {@code item} in {@code key}'s lane, made for {@code group} if there is none; a lane that
   * exists keeps the group it was made for.
   */
  public void add(String key, String group, T item) {
    Objects.requireNonNull(item, "item");
    lanes
        .computeIfAbsent(key, k -> new Lane<>(Objects.requireNonNull(group, "group"), order))
        .queue
        .add(new Slot<>(item, arrivals++));
  }

  /** The keys of the lanes, in the order the lanes were made. */
  public List<String> keys() {
    return new ArrayList<>(lanes.keySet());
  }

  /** The group of {@code key}'s lane; null when it has none. */
  public String group(String key) {
    Lane<T> lane = lanes.get(key);
    return lane == null ? null : lane.group;
  }

  /** The item of {@code key} in flight; null when none is. */
  public T inFlight(String key) {
    Lane<T> lane = lanes.get(key);
    return lane == null ? null : lane.inFlight;
  }

  /** The next item of {@code key} to start; null when none is queued. */
  public T head(String key) {
    Lane<T> lane = lanes.get(key);
    Slot<T> head = lane == null ? null : lane.queue.peek();
    return head == null ? null : head.item();
  }

  /**
   * Starts the head of {@code key}'s lane: it is in flight until {@link #finish}. Null, and nothing
   * starts, when the lane has an item in flight or none queued, or its group has {@code
   * inFlightPerGroup} in flight.
   */
  public T start(String key) {
    Lane<T> lane = lanes.get(key);
    if (lane == null || lane.inFlight != null || lane.queue.isEmpty()) {
      return null;
    }
    if (inFlightByGroup.getOrDefault(lane.group, 0) >= inFlightPerGroup) {
      return null;
    }
    inFlightByGroup.merge(lane.group, 1, Integer::sum);
    lane.inFlight = lane.queue.poll().item();
    return lane.inFlight;
  }

  /** Ends the flight of {@code item}, if it is {@code key}'s item in flight; whether it was. */
  public boolean finish(String key, T item) {
    Lane<T> lane = lanes.get(key);
    if (lane == null || lane.inFlight != item) {
      return false;
    }
    lane.inFlight = null;
    inFlightByGroup.computeIfPresent(lane.group, (g, n) -> n == 1 ? null : n - 1);
    forgetIfEmpty(key, lane);
    return true;
  }

  /** Takes the head of {@code key}'s lane out of it without starting it; null when none. */
  public T drop(String key) {
    Lane<T> lane = lanes.get(key);
    Slot<T> head = lane == null ? null : lane.queue.poll();
    if (head == null) {
      return null;
    }
    forgetIfEmpty(key, lane);
    return head.item();
  }

  /** Takes the queued items of {@code key} that {@code which} accepts out of its lane. */
  public List<T> remove(String key, Predicate<? super T> which) {
    Lane<T> lane = lanes.get(key);
    if (lane == null) {
      return List.of();
    }
    List<T> removed = new ArrayList<>();
    for (Iterator<Slot<T>> it = lane.queue.iterator(); it.hasNext(); ) {
      T item = it.next().item();
      if (which.test(item)) {
        it.remove();
        removed.add(item);
      }
    }
    forgetIfEmpty(key, lane);
    return removed;
  }

  /** Whether {@code key} has an item, queued or in flight, that {@code which} accepts. */
  public boolean holds(String key, Predicate<? super T> which) {
    Lane<T> lane = lanes.get(key);
    if (lane == null) {
      return false;
    }
    if (lane.inFlight != null && which.test(lane.inFlight)) {
      return true;
    }
    for (Slot<T> s : lane.queue) {
      if (which.test(s.item())) {
        return true;
      }
    }
    return false;
  }

  /** The queued items of {@code key}, in the order they start. */
  public List<T> queued(String key) {
    Lane<T> lane = lanes.get(key);
    if (lane == null) {
      return List.of();
    }
    List<Slot<T>> slots = new ArrayList<>(lane.queue);
    slots.sort(order);
    return slots.stream().map(Slot::item).toList();
  }

  /** The items of {@code key}, queued or in flight. */
  public int held(String key) {
    Lane<T> lane = lanes.get(key);
    return lane == null ? 0 : lane.held();
  }

  /** The items of every lane, queued or in flight. */
  public int held() {
    int n = 0;
    for (Lane<T> lane : lanes.values()) {
      n += lane.held();
    }
    return n;
  }

  /** The items in flight over every lane. */
  public int inFlight() {
    int n = 0;
    for (int g : inFlightByGroup.values()) {
      n += g;
    }
    return n;
  }

  private void forgetIfEmpty(String key, Lane<T> lane) {
    if (lane.held() == 0) {
      lanes.remove(key);
    }
  }
}

package dev.letmepost.webhook;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The endpoints whose lanes spilled: past a queue bound ({@link QueueBounds}) some of their
 * deliveries are in {@code lmp.webhook-pending} but not in memory, until a {@link Refill} reads
 * them back. Each keeps its principal and, per events partition, the pending offset a refill reads
 * it from.
 */
final class SpilledLanes {
  private static final class Spill {
    final String principal;

    /**
     * Per events partition, the pending offset a refill of this lane reads its deliveries from:
     * each earlier one was read back (so it is held, or its tombstone or newer value comes later)
     * or is dead, so a refill does not spend its room on them again.
     */
    final Map<Integer, Long> from = new HashMap<>();

    Spill(String principal) {
      this.principal = principal;
    }
  }

  private final Map<String, Spill> spills = new LinkedHashMap<>();

  /** Marks the lane of {@code endpointId} (of {@code principal}) spilled. */
  void mark(String endpointId, String principal) {
    spills.computeIfAbsent(endpointId, k -> new Spill(principal));
  }

  /** The lane of {@code endpointId} holds all its deliveries again. */
  void clear(String endpointId) {
    spills.remove(endpointId);
  }

  boolean contains(String endpointId) {
    return spills.containsKey(endpointId);
  }

  /** The principal of a spilled lane; null when it is not spilled. */
  String principal(String endpointId) {
    Spill s = spills.get(endpointId);
    return s == null ? null : s.principal;
  }

  /** The spilled lanes' endpoint ids, in the order they spilled. */
  List<String> endpoints() {
    return new ArrayList<>(spills.keySet());
  }

  /**
   * The pending offset of {@code partition} a refill reads {@code endpointId}'s deliveries from.
   */
  long from(String endpointId, int partition) {
    Spill s = spills.get(endpointId);
    return s == null ? 0L : s.from.getOrDefault(partition, 0L);
  }

  /** Sets where the next refill of a spilled lane reads from, per events partition. */
  void readFrom(String endpointId, Map<Integer, Long> offsets) {
    Spill s = spills.get(endpointId);
    if (s != null) {
      s.from.putAll(offsets);
    }
  }

  /** Forgets the offsets of these partitions (another dispatcher owns them now). */
  void disown(Collection<Integer> partitions) {
    for (Spill s : spills.values()) {
      s.from.keySet().removeAll(partitions);
    }
  }
}

package dev.letmepost.webhook;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One re-read of {@code lmp.webhook-pending} for the delivery lanes ({@link DeliveryLanes#refill}):
 * {@link #offer} it every record of {@link #partitions()} from {@link #from} to the end, in order
 * (over as many steps as it takes, {@link PendingReader}), then {@link #finish()}. It keeps at most
 * what the queue bounds leave room for, so the read itself holds no more than the bounds.
 */
final class Refill {
  /*
   * What it reads. A partition newly assigned (restoring) is read for every endpoint, from its
   * beginning; the other owned partitions only for the spilled lanes being refilled (whole), from
   * the lowest of their cursors (SpilledLanes.from), not from the partition's beginning.
   *
   * It is read a bounded step at a time (PendingReader: a deadline, a number of records and bytes
   * per step), so the Kafka loop polls, commits and pumps the other lanes between steps; it stays
   * active across steps and queues what it found only once it reached the end offsets taken when
   * it began, because a record of the part not yet read may supersede one already read (a retry's
   * new value, a delivered one's tombstone). While it is active the lanes it refills start no
   * attempt (DeliveryLanes.pump), so no write of theirs lands past those end offsets unread. A lane
   * from which a delivery was left behind for want of room stays spilled, its cursor at the first
   * one left.
   */
  private static final Logger LOG = LoggerFactory.getLogger(Refill.class);

  /** Tombstones of deliveries whose endpoint is gone, written per read at most. */
  static final int MAX_GONE = 1024;

  private final DeliveryLanes lanes;
  private final Set<Integer> partitions;
  private final Set<Integer> restoring;
  private final Set<String> whole;
  private final Map<Integer, Long> start;
  private final Map<String, Map<String, DeliveryLanes.Entry>> found = new HashMap<>();
  private final QueueBounds promised = new QueueBounds();
  private final Set<String> leftBehind = new HashSet<>();
  private final Map<String, Integer> gone = new LinkedHashMap<>();
  private final Map<String, Map<Integer, Long>> firstLeft = new HashMap<>();
  private final Map<Integer, Long> readTo = new HashMap<>();

  /**
   * A read for {@code lanes} of {@code partitions}: {@code restoring} ones whole, the others for
   * the {@code whole} lanes only, each from its offset in {@code start}.
   */
  Refill(
      DeliveryLanes lanes,
      Set<Integer> partitions,
      Set<Integer> restoring,
      Set<String> whole,
      Map<Integer, Long> start) {
    this.lanes = lanes;
    this.partitions = partitions;
    this.restoring = restoring;
    this.whole = whole;
    this.start = start;
  }

  /**
   * The pending offset of {@code partition} to read from: the beginning for a restored partition,
   * else the lowest cursor of the lanes refilled (nothing they need lies before it).
   */
  long from(int partition) {
    return start.getOrDefault(partition, 0L);
  }

  /** The events partitions whose pending partitions to read. */
  Set<Integer> partitions() {
    return partitions;
  }

  /** Whether this refills the spilled lane of {@code endpointId}. */
  boolean refills(String endpointId) {
    return whole.contains(endpointId);
  }

  /** The record at {@code offset} of pending partition {@code partition}, in topic order. */
  void offer(int partition, long offset, String key, byte[] value) {
    int slash = key == null ? -1 : key.indexOf('/');
    if (slash < 0 || !partitions.contains(partition)) {
      return;
    }
    readTo.merge(partition, offset + 1, Math::max);
    String endpointId = key.substring(0, slash);
    if (!restoring.contains(partition)
        && (!whole.contains(endpointId) || offset < lanes.cursor(endpointId, partition))) {
      return; // not this read's, or read back before, or dead
    }
    Map<String, DeliveryLanes.Entry> mine = found.get(endpointId);
    if (value == null) {
      gone.remove(key);
      DeliveryLanes.Entry was = mine == null ? null : mine.remove(key);
      if (was != null) {
        promised.remove(was.principal(), was.bytes());
      }
      return;
    }
    PendingDelivery p;
    try {
      p = PendingDelivery.fromJson(value);
    } catch (RuntimeException e) {
      LOG.warn("skipping unreadable pending delivery '{}': {}", key, e.getMessage());
      return;
    }
    if (!p.key().equals(key)) {
      LOG.warn("skipping pending delivery '{}': it holds '{}'", key, p.key());
      return;
    }
    synchronized (lanes) {
      String principal = lanes.principalOf(endpointId);
      if (principal == null) {
        if (gone.size() < MAX_GONE) {
          gone.put(key, partition);
        }
        return;
      }
      if (lanes.holds(endpointId, p.eventId())) {
        return; // the lanes' copy is the newer
      }
      DeliveryLanes.Entry e = new DeliveryLanes.Entry(p, partition, principal);
      if (mine != null && mine.containsKey(key)) {
        DeliveryLanes.Entry older = mine.put(key, e);
        promised.remove(older.principal(), older.bytes());
        promised.add(principal, e.bytes());
        return;
      }
      if (!lanes.fits(endpointId, mine == null ? 0 : mine.size(), e, promised)) {
        leftBehind.add(endpointId);
        firstLeft.computeIfAbsent(endpointId, k -> new HashMap<>()).putIfAbsent(partition, offset);
        return;
      }
      found.computeIfAbsent(endpointId, k -> new LinkedHashMap<>()).put(key, e);
      promised.add(principal, e.bytes());
    }
  }

  /** Queues what was found; a lane stays spilled while anything was left behind. */
  void finish() {
    lanes.refilled(this);
  }

  /** The endpoints whose lanes this read may change: refilled, found or left behind. */
  Set<String> touched() {
    Set<String> touched = new HashSet<>(whole);
    touched.addAll(found.keySet());
    touched.addAll(leftBehind);
    return touched;
  }

  /** Whether a delivery of {@code endpointId} was left behind for want of room. */
  boolean leftBehind(String endpointId) {
    return leftBehind.contains(endpointId);
  }

  /**
   * Where the next refill of {@code endpointId}'s lane, if it stays spilled, reads each partition
   * read here from: the first delivery left behind, else the end of what was read.
   */
  Map<Integer, Long> cursors(String endpointId) {
    Map<Integer, Long> left = firstLeft.getOrDefault(endpointId, Map.of());
    Map<Integer, Long> cursors = new HashMap<>();
    readTo.forEach(
        (p, end) -> {
          if (whole.contains(endpointId) || restoring.contains(p)) {
            cursors.put(p, left.getOrDefault(p, end));
          }
        });
    return cursors;
  }

  /** The deliveries of {@code endpointId} found, to queue. */
  Collection<DeliveryLanes.Entry> found(String endpointId) {
    return found.getOrDefault(endpointId, Map.of()).values();
  }

  /** The keys of the deliveries whose endpoint is gone, each with its events partition. */
  Map<String, Integer> gone() {
    return gone;
  }
}

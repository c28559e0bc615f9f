package dev.letmepost.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The request ids this gateway instance handed out that the ledger's {@code request-index} may not
 * know: a post answered {@code 202} because its answer did not come in time (the ledger may not
 * have decided it yet), and a retry answered from the store by the fast path (no command was
 * produced, so the ledger never hears of that id). {@code GET /v1/requests/{id}} reads them here
 * when the ledger has no entry, so that the id a response carried can always be polled.
 *
 * <p>Bounded and time-limited: at most {@code capacity} ids, each for {@code ttl} after it was
 * handed out; the oldest go first. An id reads only for the principal it was handed to.
 */
final class RecentRequests {
  static final int DEFAULT_CAPACITY = 10_000;
  static final Duration DEFAULT_TTL = Duration.ofHours(1);

  /**
   * One id as this instance answered it.
   *
   * @param answer the answer it was given, or null while it is pending (answered {@code 202})
   */
  record Entry(
      String requestId,
      String principal,
      String idempotencyKey,
      LedgerAnswer answer,
      Instant expiresAt) {
    boolean pending() {
      return answer == null;
    }
  }

  private final Clock clock;
  private final int capacity;
  private final Duration ttl;
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

  RecentRequests(Clock clock, int capacity, Duration ttl) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
    this.capacity = capacity;
  }

  /** {@code requestId} was answered {@code 202}: its answer is not known here. */
  void pending(String requestId, String principal, String idempotencyKey) {
    put(new Entry(requestId, principal, idempotencyKey, null, expiry()));
  }

  /** {@code answer} was given to {@code principal} without the ledger (the replay fast path). */
  void answered(String principal, LedgerAnswer answer) {
    put(new Entry(answer.requestId(), principal, answer.idempotencyKey(), answer, expiry()));
  }

  /** The entry of {@code requestId} when it was handed to {@code principal} and is not expired. */
  synchronized Optional<Entry> get(String requestId, String principal) {
    evictExpired();
    Entry e = entries.get(requestId);
    return e != null && e.principal().equals(principal) ? Optional.of(e) : Optional.empty();
  }

  synchronized int size() {
    evictExpired();
    return entries.size();
  }

  private synchronized void put(Entry e) {
    Entry previous = entries.get(e.requestId());
    if (previous != null && !previous.pending() && e.pending()) {
      return; // an answer is final
    }
    entries.remove(e.requestId());
    entries.put(e.requestId(), e);
    evictExpired();
    Iterator<String> oldest = entries.keySet().iterator();
    while (entries.size() > capacity) {
      oldest.next();
      oldest.remove();
    }
  }

  private void evictExpired() {
    Instant now = clock.instant();
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext() && !it.next().getValue().expiresAt().isAfter(now)) {
      it.remove();
    }
  }

  private Instant expiry() {
    return clock.instant().plus(ttl);
  }
}

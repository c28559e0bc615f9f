package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
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
 * when the ledger has no entry, so that the id a response carried can be polled.
 *
 * <p>References, not answers: a fast-path id keeps the fingerprint and batch id of the replay
 * record it was answered from, and its answer is read again from the ledger's store (a few hundred
 * bytes an id, whatever the envelope's size).
 *
 * <p>Bounded per principal: at most {@code perPrincipal} ids of one principal, each for {@code ttl}
 * after it was handed out; past it that principal's oldest go first, so one principal's ids never
 * evict another's. At most {@code principals} principals are kept; past it the principal used least
 * recently goes, with its ids.
 */
final class RecentRequests {
  static final int DEFAULT_PER_PRINCIPAL = 1_000;
  static final int DEFAULT_PRINCIPALS = 10_000;
  static final Duration DEFAULT_TTL = Duration.ofHours(1);

  /**
   * One id as this instance answered it.
   *
   * @param fingerprint the replay record it was answered from, or null while it is pending
   *     (answered {@code 202})
   * @param batchId the batch of that record, null while pending
   */
  record Entry(
      String requestId,
      String principal,
      String idempotencyKey,
      String fingerprint,
      String batchId,
      Instant expiresAt) {
    Entry {
      Objects.requireNonNull(requestId, "requestId");
      Objects.requireNonNull(principal, "principal");
      if ((fingerprint == null) != (batchId == null)) {
        throw new IllegalArgumentException(
            "request " + requestId + ": a fingerprint and a batch id go together, or neither");
      }
    }

    boolean pending() {
      return fingerprint == null;
    }
  }

  private final Clock clock;
  private final int perPrincipal;
  private final int principals;
  private final Duration ttl;

  /** Principal to its ids, oldest first; principals in access order, least recent first. */
  private final LinkedHashMap<String, LinkedHashMap<String, Entry>> byPrincipal =
      new LinkedHashMap<>(16, 0.75f, true);

  RecentRequests(Clock clock, int perPrincipal, int principals, Duration ttl) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    if (perPrincipal < 1) {
      throw new IllegalArgumentException("perPrincipal must be >= 1, got " + perPrincipal);
    }
    if (principals < 1) {
      throw new IllegalArgumentException("principals must be >= 1, got " + principals);
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl must be positive, got " + ttl);
    }
    this.perPrincipal = perPrincipal;
    this.principals = principals;
  }

  static RecentRequests withDefaults(Clock clock) {
    return new RecentRequests(clock, DEFAULT_PER_PRINCIPAL, DEFAULT_PRINCIPALS, DEFAULT_TTL);
  }

  /** {@code requestId} was answered {@code 202}: its answer is not known here. */
  void pending(String requestId, String principal, String idempotencyKey) {
    put(new Entry(requestId, principal, idempotencyKey, null, null, expiry()));
  }

  /**
   * {@code answer} was given to {@code principal} without the ledger (the replay fast path), from
   * the replay record of {@code fingerprint}.
   */
  void answered(String principal, String fingerprint, Answer answer) {
    put(
        new Entry(
            answer.requestId(),
            principal,
            answer.idempotencyKey(),
            Objects.requireNonNull(fingerprint, "fingerprint"),
            Objects.requireNonNull(answer.batchId(), "batchId"),
            expiry()));
  }

  /** The entry of {@code requestId} when it was handed to {@code principal} and is not expired. */
  synchronized Optional<Entry> get(String requestId, String principal) {
    LinkedHashMap<String, Entry> ids = byPrincipal.get(principal);
    if (ids == null) {
      return Optional.empty();
    }
    evictExpired(principal, ids);
    return Optional.ofNullable(ids.get(requestId));
  }

  /** Ids held, every principal. */
  synchronized int size() {
    int n = 0;
    for (String p : byPrincipal.keySet().toArray(new String[0])) {
      LinkedHashMap<String, Entry> ids = byPrincipal.get(p);
      evictExpired(p, ids);
      n += ids.size();
    }
    return n;
  }

  /** Ids held for {@code principal}. */
  synchronized int size(String principal) {
    LinkedHashMap<String, Entry> ids = byPrincipal.get(principal);
    if (ids == null) {
      return 0;
    }
    evictExpired(principal, ids);
    return ids.size();
  }

  private synchronized void put(Entry e) {
    LinkedHashMap<String, Entry> ids =
        byPrincipal.computeIfAbsent(e.principal(), p -> new LinkedHashMap<>());
    Entry previous = ids.get(e.requestId());
    if (previous != null && !previous.pending() && e.pending()) {
      return; // an answer is final
    }
    ids.remove(e.requestId());
    ids.put(e.requestId(), e);
    evictExpired(e.principal(), ids);
    Iterator<String> oldest = ids.keySet().iterator();
    while (ids.size() > perPrincipal) {
      oldest.next();
      oldest.remove();
    }
    Iterator<String> idlest = byPrincipal.keySet().iterator();
    while (byPrincipal.size() > principals) {
      idlest.next();
      idlest.remove();
    }
  }

  private void evictExpired(String principal, LinkedHashMap<String, Entry> ids) {
    Instant now = clock.instant();
    Iterator<Map.Entry<String, Entry>> it = ids.entrySet().iterator();
    while (it.hasNext() && !it.next().getValue().expiresAt().isAfter(now)) {
      it.remove();
    }
    if (ids.isEmpty()) {
      byPrincipal.remove(principal);
    }
  }

  private Instant expiry() {
    return clock.instant().plus(ttl);
  }
}

package dev.letmepost.webhook;

import dev.letmepost.http.Rfc3339;
import dev.letmepost.net.AddressGuard;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatcher's delivery queues, one lane per endpoint: each lane holds its pending deliveries
 * ordered by due time and has at most one attempt in progress, so a slow or failing endpoint only
 * ever delays its own deliveries. {@link #pump()} starts every lane's due head on the executor;
 * what the attempts decided (the pending delivery rewritten or deleted, the attempt recorded, the
 * endpoint disabled) collects as {@link Write}s that the Kafka loop {@link #drain()}s into its next
 * transaction. Time comes from the injected clock only.
 */
final class DeliveryLanes {
  /*
   * Bounds (WebhookConfig.Limits). Threads: one attempt per endpoint, inFlightPerPrincipal per
   * principal; a principal at its bound waits, so one tenant's trickling receivers hold at most
   * that many of the pool's threads, each for at most the request timeout (WebhookHttp's deadline).
   *
   * Memory: a delivery is written to lmp.webhook-pending before it is queued here, so the queues
   * are a cache of that topic. A delivery that would take an endpoint, its principal or the whole
   * dispatcher past a bound (entries or body bytes; the one in progress counts) is not held: its
   * lane is marked spilled and the delivery stays in Kafka only. Once a spilled lane has no
   * attempt in progress, no write of it waits in the outbox (so what Kafka holds for it is what
   * this object knows) and at most half its bound queued, the Kafka loop re-reads the pending
   * partitions (a Refill, at most once per REFILL_INTERVAL) and queues what the bounds allow, in
   * topic order; the lane stays spilled while anything was left behind. A partition newly assigned
   * is read the same way. So nothing is lost past a bound, it is delivered later; and what is in
   * memory, queued or read back, never exceeds the bounds.
   *
   * A refill is read a bounded step at a time (PendingReader: a deadline, a number of records and
   * bytes per step), so the Kafka loop polls, commits and pumps the other lanes between steps; it
   * stays active across steps and queues what it found only once it reached the end offsets taken
   * when it began, because a record of the part not yet read may supersede one already read (a
   * retry's new value, a delivered one's tombstone). While it is active its spilled lanes start no
   * attempt, so no write of theirs lands past those end offsets unread. A refill of spilled lanes
   * begins at the lowest of their cursors (Lane.from), not at the partition's beginning.
   */
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryLanes.class);

  /** The shortest time between two re-reads of the pending topic for spilled lanes. */
  static final Duration REFILL_INTERVAL = Duration.ofSeconds(1);

  /** Which topic a write goes to. */
  enum Kind {
    PENDING,
    DELIVERY,
    ENDPOINT
  }

  /**
   * One record for the Kafka loop to write; {@code partition} set for pending deliveries (their
   * events partition), {@code value} null for a tombstone.
   */
  record Write(Kind kind, Integer partition, String key, byte[] value) {}

  /** The result of one attempt: a status, or an error without one. */
  record Result(Integer status, String error, Duration took) {
    boolean ok() {
      return status != null && status >= 200 && status < 300;
    }
  }

  /** One attempt's transport: a test can replace it; production posts with {@link WebhookHttp}. */
  @FunctionalInterface
  interface Transport {
    WebhookHttp.Answer post(
        URI url, InetAddress address, Map<String, String> headers, byte[] body, Duration timeout)
        throws IOException;
  }

  private record Entry(PendingDelivery p, int partition, long seq) {
    long bytes() {
      return p.body().length();
    }
  }

  private static final class Lane {
    final String principal;
    final PriorityQueue<Entry> queue =
        new PriorityQueue<>(
            Comparator.comparingLong((Entry e) -> e.p().nextAttemptAt())
                .thenComparingLong(Entry::seq));
    Entry inFlight;

    /** Deliveries of this endpoint are in lmp.webhook-pending but not here. */
    boolean spilled;

    /**
     * Per events partition, the pending offset a refill of a spilled lane reads this endpoint's
     * deliveries from: each earlier one was read back (so it is here, or its tombstone or newer
     * value comes later) or is dead, so a refill does not spend its room on them again.
     */
    final Map<Integer, Long> from = new HashMap<>();

    Lane(String principal) {
      this.principal = principal;
    }

    int held() {
      return queue.size() + (inFlight == null ? 0 : 1);
    }
  }

  /** What one principal's lanes hold and run. */
  private static final class Usage {
    int entries;
    long bytes;
    int running;

    boolean idle() {
      return entries == 0 && running == 0;
    }
  }

  private final Clock clock;
  private final Executor executor;
  private final Transport transport;
  private final EndpointRegistry endpoints;
  private final SigningKey key;
  private final AddressGuard guard;
  private final WebhookConfig config;
  private final WebhookMetrics metrics;
  private final DoubleSupplier random;

  private final Map<String, Lane> lanes = new LinkedHashMap<>();
  private final Set<Integer> owned = new HashSet<>();
  private final List<Write> outbox = new ArrayList<>();
  private final Map<String, Integer> consecutiveFailures = new HashMap<>();
  private final Map<String, Usage> usage = new HashMap<>();
  private final Set<String> unflushed = new HashSet<>();
  private int entries;
  private long bytes;
  private long nextRefillAt = Long.MIN_VALUE;
  private long seq;

  /** The refill being read, across steps of the reader; null when none. */
  private Refill active;

  DeliveryLanes(
      Clock clock,
      Executor executor,
      Transport transport,
      EndpointRegistry endpoints,
      SigningKey key,
      AddressGuard guard,
      WebhookConfig config,
      WebhookMetrics metrics,
      DoubleSupplier random) {
    this.clock = clock;
    this.executor = executor;
    this.transport = transport;
    this.endpoints = endpoints;
    this.key = key;
    this.guard = guard;
    this.config = config;
    this.metrics = metrics;
    this.random = random;
  }

  /** From now on deliveries of events partition {@code p} are this dispatcher's. */
  synchronized void own(Collection<Integer> partitions) {
    owned.addAll(partitions);
  }

  /** Forgets the deliveries of these partitions (another dispatcher owns them now). */
  synchronized void disown(Collection<Integer> partitions) {
    owned.removeAll(partitions);
    active =
        null; // a refill in progress is dropped: its lanes stay spilled and the next begins anew
    for (Lane lane : lanes.values()) {
      lane.from.keySet().removeAll(partitions);
      for (Iterator<Entry> it = lane.queue.iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (partitions.contains(e.partition())) {
          it.remove();
          release(lane, e);
        }
      }
    }
    lanes.values().removeIf(l -> l.queue.isEmpty() && l.inFlight == null && !l.spilled);
  }

  /**
   * Queues {@code p} (from events partition {@code partition}), already written to the pending
   * topic; one already queued is replaced. Past a bound it is left in Kafka (the lane spills); the
   * delivery of an endpoint that is gone is dropped.
   */
  synchronized void add(PendingDelivery p, int partition) {
    Lane lane = lanes.get(p.endpointId());
    if (lane != null) {
      if (lane.inFlight != null && lane.inFlight.p().eventId().equals(p.eventId())) {
        return; // its attempt is in progress and decides what happens next
      }
      for (Iterator<Entry> it = lane.queue.iterator(); it.hasNext(); ) {
        Entry e = it.next();
        if (e.p().eventId().equals(p.eventId())) {
          it.remove();
          release(lane, e);
        }
      }
    }
    Entry entry = new Entry(p, partition, seq++);
    if (lane == null) {
      WebhookEndpoint endpoint = endpoints.get(p.endpointId()).orElse(null);
      if (endpoint == null) {
        emit(tombstone(entry));
        return;
      }
      lane = new Lane(endpoint.principal());
      lanes.put(p.endpointId(), lane);
    }
    if (lane.spilled || !fits(lane, entry.bytes())) {
      lane.spilled = true; // it is in Kafka; a refill brings it back when there is room
      return;
    }
    hold(lane, entry);
  }

  /** Whether one more entry of {@code size} body bytes fits the bounds of {@code lane}. */
  private boolean fits(Lane lane, long size) {
    WebhookConfig.Limits l = config.limits();
    Usage u = usage.get(lane.principal);
    return lane.held() < l.queuedPerEndpoint()
        && (u == null ? 0 : u.entries) < l.queuedPerPrincipal()
        && (u == null ? 0 : u.bytes) + size <= l.queuedBytesPerPrincipal()
        && entries < l.queued()
        && bytes + size <= l.queuedBytes();
  }

  private void hold(Lane lane, Entry e) {
    lane.queue.add(e);
    Usage u = usage.computeIfAbsent(lane.principal, k -> new Usage());
    u.entries++;
    u.bytes += e.bytes();
    entries++;
    bytes += e.bytes();
  }

  /** {@code e} is no longer held in memory (delivered, dropped, or another's now). */
  private void release(Lane lane, Entry e) {
    Usage u = usage.get(lane.principal);
    if (u != null) {
      u.entries--;
      u.bytes -= e.bytes();
      if (u.idle()) {
        usage.remove(lane.principal);
      }
    }
    entries--;
    bytes -= e.bytes();
  }

  /** Deliveries queued or in progress. */
  synchronized int pending() {
    int n = 0;
    for (Lane l : lanes.values()) {
      n += l.queue.size() + (l.inFlight == null ? 0 : 1);
    }
    return n;
  }

  /** Collects {@code w} for the next transaction; its endpoint has a write in flight until then. */
  private void emit(Write w) {
    outbox.add(w);
    int slash = w.key().indexOf('/');
    unflushed.add(slash < 0 ? w.key() : w.key().substring(0, slash));
  }

  /**
   * The refill to read now: the active one, not finished yet, while {@code restoring} is empty;
   * otherwise begins a re-read of the pending topic (dropping an active one): of the newly assigned
   * {@code restoring} partitions (every endpoint's deliveries), and, at most once per {@link
   * #REFILL_INTERVAL}, of every owned partition for the spilled lanes that can take deliveries back
   * now (no attempt in progress, no write waiting in the outbox, at most half their bound queued).
   * Null when there is nothing to read. Call from the Kafka loop, after its commit and before
   * {@link #pump()}; until it finishes, no attempt of those lanes starts.
   */
  synchronized Refill refill(Collection<Integer> restoring) {
    if (active != null && restoring.isEmpty()) {
      return active;
    }
    active = null;
    long now = clock.millis();
    Set<String> whole = new HashSet<>();
    if (now >= nextRefillAt) {
      int half = Math.max(1, config.limits().queuedPerEndpoint() / 2);
      lanes.forEach(
          (id, lane) -> {
            if (lane.spilled
                && lane.inFlight == null
                && !unflushed.contains(id)
                && lane.queue.size() <= half) {
              whole.add(id);
            }
          });
    }
    if (whole.isEmpty() && restoring.isEmpty()) {
      return null;
    }
    if (!whole.isEmpty()) {
      nextRefillAt = now + REFILL_INTERVAL.toMillis();
    }
    Set<Integer> read = new HashSet<>(restoring);
    if (!whole.isEmpty()) {
      read.addAll(owned);
    }
    read.retainAll(owned);
    Map<Integer, Long> start = new HashMap<>();
    for (int p : read) {
      long from = Long.MAX_VALUE;
      if (!restoring.contains(p)) {
        for (String id : whole) {
          from = Math.min(from, lanes.get(id).from.getOrDefault(p, 0L));
        }
      }
      start.put(p, restoring.contains(p) || from == Long.MAX_VALUE ? 0L : from);
    }
    active = new Refill(read, Set.copyOf(restoring), whole, Map.copyOf(start));
    return active;
  }

  /**
   * One re-read of the pending topic ({@link #refill}): {@link #offer} it every record of {@link
   * #partitions()} from {@link #from} to the end, in order (over as many steps as it takes), then
   * {@link #finish()}. It keeps at most what the bounds leave room for, so the read itself holds no
   * more than the bounds.
   */
  final class Refill {
    /** Tombstones of deliveries whose endpoint is gone, written per read at most. */
    static final int MAX_GONE = 1024;

    private final Set<Integer> partitions;
    private final Set<Integer> restoring;
    private final Set<String> whole;
    private final Map<String, Map<String, Entry>> found = new HashMap<>();
    private final Map<String, Usage> promised = new HashMap<>();
    private final Set<String> leftBehind = new HashSet<>();
    private final Map<String, Integer> gone = new LinkedHashMap<>();
    private final Map<String, Map<Integer, Long>> firstLeft = new HashMap<>();
    private final Map<Integer, Long> readTo = new HashMap<>();
    private final Map<Integer, Long> start;
    private int promisedEntries;
    private long promisedBytes;

    private Refill(
        Set<Integer> partitions,
        Set<Integer> restoring,
        Set<String> whole,
        Map<Integer, Long> start) {
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

    /** The record at {@code offset} of pending partition {@code partition}, in topic order. */
    void offer(int partition, long offset, String key, byte[] value) {
      int slash = key == null ? -1 : key.indexOf('/');
      if (slash < 0 || !partitions.contains(partition)) {
        return;
      }
      readTo.merge(partition, offset + 1, Math::max);
      String endpointId = key.substring(0, slash);
      if (!restoring.contains(partition)) {
        if (!whole.contains(endpointId)) {
          return;
        }
        synchronized (DeliveryLanes.this) {
          Lane lane = lanes.get(endpointId);
          if (lane != null && offset < lane.from.getOrDefault(partition, 0L)) {
            return; // read back before, or dead
          }
        }
      }
      Map<String, Entry> mine = found.get(endpointId);
      if (value == null) {
        gone.remove(key);
        Entry was = mine == null ? null : mine.remove(key);
        if (was != null) {
          synchronized (DeliveryLanes.this) {
            unpromise(principalOf(endpointId), was);
          }
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
      synchronized (DeliveryLanes.this) {
        Lane lane = lanes.get(endpointId);
        String principal = principalOf(endpointId);
        if (principal == null) {
          if (gone.size() < MAX_GONE) {
            gone.put(key, partition);
          }
          return;
        }
        if (lane != null && holds(lane, p.eventId())) {
          return; // this object's copy is the newer
        }
        Entry e = new Entry(p, partition, seq++);
        if (mine != null && mine.containsKey(key)) {
          unpromise(principal, mine.put(key, e));
          promise(principal, e);
          return;
        }
        int laneHeld = (lane == null ? 0 : lane.held()) + (mine == null ? 0 : mine.size());
        Usage u = usage.get(principal);
        Usage pr = promised.get(principal);
        WebhookConfig.Limits l = config.limits();
        boolean room =
            laneHeld < l.queuedPerEndpoint()
                && (u == null ? 0 : u.entries) + (pr == null ? 0 : pr.entries)
                    < l.queuedPerPrincipal()
                && (u == null ? 0 : u.bytes) + (pr == null ? 0 : pr.bytes) + e.bytes()
                    <= l.queuedBytesPerPrincipal()
                && entries + promisedEntries < l.queued()
                && bytes + promisedBytes + e.bytes() <= l.queuedBytes();
        if (!room) {
          leftBehind.add(endpointId);
          firstLeft
              .computeIfAbsent(endpointId, k -> new HashMap<>())
              .putIfAbsent(partition, offset);
          return;
        }
        found.computeIfAbsent(endpointId, k -> new LinkedHashMap<>()).put(key, e);
        promise(principal, e);
      }
    }

    private String principalOf(String endpointId) {
      Lane lane = lanes.get(endpointId);
      if (lane != null) {
        return lane.principal;
      }
      return endpoints.get(endpointId).map(WebhookEndpoint::principal).orElse(null);
    }

    private void promise(String principal, Entry e) {
      Usage pr = promised.computeIfAbsent(principal, k -> new Usage());
      pr.entries++;
      pr.bytes += e.bytes();
      promisedEntries++;
      promisedBytes += e.bytes();
    }

    private void unpromise(String principal, Entry e) {
      Usage pr = promised.get(principal);
      if (pr != null) {
        pr.entries--;
        pr.bytes -= e.bytes();
      }
      promisedEntries--;
      promisedBytes -= e.bytes();
    }

    /** Queues what was found; a lane stays spilled while anything was left behind. */
    void finish() {
      synchronized (DeliveryLanes.this) {
        if (active != this) {
          return; // dropped meanwhile (a revocation, a newer restore): what it read may be stale
        }
        active = null;
        Set<String> touched = new HashSet<>(whole);
        touched.addAll(found.keySet());
        touched.addAll(leftBehind);
        for (String id : touched) {
          Lane lane = lanes.get(id);
          if (lane == null) {
            String principal = principalOf(id);
            if (principal == null) {
              continue;
            }
            lane = new Lane(principal);
            lanes.put(id, lane);
          }
          boolean behind = leftBehind.contains(id);
          lane.spilled = whole.contains(id) ? behind : lane.spilled || behind;
          if (!lane.spilled) {
            lane.from.clear();
          } else {
            Map<Integer, Long> left = firstLeft.getOrDefault(id, Map.of());
            for (Map.Entry<Integer, Long> r : readTo.entrySet()) {
              int p = r.getKey();
              if (whole.contains(id) || restoring.contains(p)) {
                lane.from.put(p, left.getOrDefault(p, r.getValue()));
              }
            }
          }
          for (Entry e : found.getOrDefault(id, Map.of()).values()) {
            if (owned.contains(e.partition()) && !holds(lane, e.p().eventId())) {
              hold(lane, e);
            }
          }
          if (lane.inFlight == null && lane.queue.isEmpty() && !lane.spilled) {
            lanes.remove(id);
          }
        }
        gone.forEach((key, partition) -> emit(new Write(Kind.PENDING, partition, key, null)));
      }
    }
  }

  private static boolean holds(Lane lane, String eventId) {
    if (lane.inFlight != null && lane.inFlight.p().eventId().equals(eventId)) {
      return true;
    }
    for (Entry e : lane.queue) {
      if (e.p().eventId().equals(eventId)) {
        return true;
      }
    }
    return false;
  }

  /** The writes collected since the last call. */
  synchronized List<Write> drain() {
    List<Write> out = List.copyOf(outbox);
    outbox.clear();
    unflushed.clear();
    return out;
  }

  /**
   * Starts the due head of every lane that has no attempt in progress, while its principal has
   * fewer than {@link WebhookConfig.Limits#inFlightPerPrincipal()} in progress.
   */
  void pump() {
    List<Runnable> start = new ArrayList<>();
    synchronized (this) {
      long now = clock.millis();
      int perPrincipal = config.limits().inFlightPerPrincipal();
      for (Iterator<Map.Entry<String, Lane>> it = lanes.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Lane> me = it.next();
        Lane lane = me.getValue();
        if (active != null && active.whole.contains(me.getKey())) {
          continue; // being refilled: no write of it may land past the refill's end unread
        }
        while (lane.inFlight == null
            && !lane.queue.isEmpty()
            && lane.queue.peek().p().nextAttemptAt() <= now) {
          Entry e = lane.queue.peek();
          WebhookEndpoint endpoint = endpoints.get(e.p().endpointId()).orElse(null);
          if (endpoint == null) {
            lane.queue.poll();
            release(lane, e);
            emit(tombstone(e));
            continue;
          }
          if (endpoint.status() != WebhookEndpoint.Status.enabled) {
            lane.queue.poll();
            release(lane, e);
            emit(tombstone(e));
            record(e, now, DeliveryAttempt.FAILED, null, 0, "the endpoint is disabled", null);
            continue;
          }
          Usage u = usage.computeIfAbsent(lane.principal, k -> new Usage());
          if (u.running >= perPrincipal) {
            break; // the principal's other attempts first: it waits, others go on
          }
          lane.queue.poll();
          u.running++;
          lane.inFlight = e;
          start.add(() -> complete(me.getKey(), e, attempt(endpoint, e.p())));
        }
        if (lane.inFlight == null && lane.queue.isEmpty() && !lane.spilled) {
          it.remove();
        }
      }
    }
    start.forEach(executor::execute);
  }

  /** One attempt: the guard on the addresses the host resolves to now, then the POST. */
  Result attempt(WebhookEndpoint endpoint, PendingDelivery p) {
    long started = System.nanoTime();
    try {
      URI url = AddressGuard.parse(endpoint.url());
      List<InetAddress> addresses = guard.addresses(url);
      byte[] body = p.body().getBytes(StandardCharsets.UTF_8);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", "application/json");
      headers.put("User-Agent", "letmepost-webhooks/0.1");
      headers.put(WebhookSignature.EVENT_ID_HEADER, p.eventId());
      headers.put("Lmp-Event-Type", p.eventType());
      headers.put("Lmp-Delivery-Attempt", Integer.toString(p.attempts() + 1));
      headers.put(
          WebhookSignature.HEADER,
          WebhookSignature.header(
              key.secretFor(endpoint.id()), clock.instant().getEpochSecond(), body));
      IOException last = null;
      for (InetAddress a : addresses) {
        try {
          WebhookHttp.Answer answer =
              transport.post(url, a, headers, body, config.requestTimeout());
          return new Result(answer.status(), null, since(started));
        } catch (ConnectException e) {
          last = e; // try the host's next address
        }
      }
      throw last;
    } catch (AddressGuard.Refused e) {
      return new Result(null, e.getMessage(), since(started));
    } catch (IOException | RuntimeException e) {
      return new Result(null, e.getClass().getSimpleName() + ": " + e.getMessage(), since(started));
    }
  }

  private synchronized void complete(String endpointId, Entry e, Result r) {
    Lane lane = lanes.get(endpointId);
    if (lane != null && e.equals(lane.inFlight)) {
      lane.inFlight = null;
      Usage u = usage.get(lane.principal);
      if (u != null) {
        u.running--;
      }
    }
    if (lane == null || !owned.contains(e.partition())) {
      if (lane != null) {
        release(lane, e);
        if (lane.queue.isEmpty() && !lane.spilled) {
          lanes.remove(endpointId);
        }
      }
      return; // revoked meanwhile: the new owner delivers it again
    }
    long now = clock.millis();
    PendingDelivery p = e.p();
    if (r.ok()) {
      release(lane, e);
      consecutiveFailures.remove(endpointId);
      emit(tombstone(e));
      record(e, now, DeliveryAttempt.SUCCEEDED, r.status(), r.took().toMillis(), null, null);
      metrics.attempt(DeliveryAttempt.SUCCEEDED, r.took());
      return;
    }
    String error = r.error() != null ? r.error() : "the receiver answered HTTP " + r.status();
    int failures = consecutiveFailures.merge(endpointId, 1, Integer::sum);
    if (failures >= config.maxFailures()) {
      disable(endpointId, lane, e, r, error, failures, now);
      return;
    }
    long next = now + Backoff.delay(p.attempts() + 1, random).toMillis();
    if (next > p.firstDueAt() + Backoff.WINDOW.toMillis()) {
      release(lane, e);
      emit(tombstone(e));
      record(
          e,
          now,
          DeliveryAttempt.FAILED,
          r.status(),
          r.took().toMillis(),
          error + "; no more attempts: the next would be more than 24 h after the first",
          null);
      metrics.attempt(DeliveryAttempt.FAILED, r.took());
      return;
    }
    PendingDelivery retry = p.retryAt(next);
    emit(new Write(Kind.PENDING, e.partition(), retry.key(), retry.toJson()));
    record(e, now, DeliveryAttempt.RETRYING, r.status(), r.took().toMillis(), error, next);
    metrics.attempt(DeliveryAttempt.RETRYING, r.took());
    metrics.retry();
    // Still held: the retry takes the place of the attempt (same body, same bounds).
    lane.queue.add(new Entry(retry, e.partition(), seq++));
  }

  private void disable(
      String endpointId, Lane lane, Entry e, Result r, String error, int failures, long now) {
    String reason =
        failures + " consecutive failed deliveries; the last: " + AddressGuard.echo(error);
    // A mark beside the endpoint's record, never the record itself: a delete this view has not
    // caught up with still wins (EndpointRegistry).
    DisabledMark mark = new DisabledMark(endpointId, reason, Rfc3339.format(now));
    if (endpoints.disable(mark)) {
      emit(new Write(Kind.ENDPOINT, null, DisabledMark.key(endpointId), mark.toJson()));
      metrics.disabled();
      LOG.warn("webhook endpoint {} disabled: {}", endpointId, reason);
    }
    release(lane, e);
    emit(tombstone(e));
    record(
        e,
        now,
        DeliveryAttempt.FAILED,
        r.status(),
        r.took().toMillis(),
        error + "; the endpoint is disabled after " + failures + " consecutive failures",
        null);
    metrics.attempt(DeliveryAttempt.FAILED, r.took());
    consecutiveFailures.remove(endpointId);
    for (Entry queued : lane.queue) {
      release(lane, queued);
      if (owned.contains(queued.partition())) {
        emit(tombstone(queued));
      }
    }
    lane.queue.clear();
    if (!lane.spilled) {
      lanes.remove(endpointId); // a spilled lane stays: a refill reads and drops the rest
    }
  }

  private void record(
      Entry e,
      long now,
      String result,
      Integer status,
      long latencyMs,
      String error,
      Long nextAttemptAt) {
    PendingDelivery p = e.p();
    DeliveryAttempt a =
        new DeliveryAttempt(
            p.endpointId(),
            p.eventId(),
            p.eventType(),
            p.attempts() + 1,
            Rfc3339.format(now),
            result,
            status,
            latencyMs,
            error,
            nextAttemptAt == null ? null : Rfc3339.format(nextAttemptAt));
    emit(new Write(Kind.DELIVERY, null, p.endpointId(), a.toJson()));
  }

  private static Write tombstone(Entry e) {
    return new Write(Kind.PENDING, e.partition(), e.p().key(), null);
  }

  private static Duration since(long startedNanos) {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** Attempts in progress. */
  synchronized int inFlight() {
    int n = 0;
    for (Lane l : lanes.values()) {
      n += l.inFlight == null ? 0 : 1;
    }
    return n;
  }

  /** The lanes' endpoint ids (tests). */
  synchronized Set<String> laneIds() {
    return new HashSet<>(lanes.keySet());
  }

  /** The queued deliveries of one endpoint, due first (tests). */
  synchronized List<PendingDelivery> queued(String endpointId) {
    Lane lane = lanes.get(endpointId);
    if (lane == null) {
      return List.of();
    }
    List<Entry> all = new ArrayList<>(lane.queue);
    all.sort(lane.queue.comparator());
    return all.stream().map(Entry::p).toList();
  }

  /** Deliveries held in memory, queued or in progress, and their body bytes (tests). */
  synchronized long[] held() {
    return new long[] {entries, bytes};
  }

  /** Deliveries of {@code principal} held in memory, queued or in progress (tests). */
  synchronized int held(String principal) {
    Usage u = usage.get(principal);
    return u == null ? 0 : u.entries;
  }

  /** Whether the endpoint has deliveries in Kafka that are not held here (tests). */
  synchronized boolean spilled(String endpointId) {
    Lane lane = lanes.get(endpointId);
    return lane != null && lane.spilled;
  }

  /** The consecutive failed attempts of an endpoint since its last success (tests). */
  synchronized int consecutiveFailures(String endpointId) {
    return consecutiveFailures.getOrDefault(endpointId, 0);
  }
}

package dev.letmepost.webhook;

import dev.letmepost.client.Backoff;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.lanes.Lanes;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
   * principal (the lanes' group); a principal at its bound waits, so one tenant's trickling
   * receivers hold at most that many of the pool's threads, each for at most the request timeout
   * (WebhookHttp's deadline).
   *
   * Memory: a delivery is written to lmp.webhook-pending before it is queued here, so the queues
   * are a cache of that topic. A delivery that would take an endpoint, its principal or the whole
   * dispatcher past a bound (entries or body bytes, QueueBounds; the one in progress counts) is not
   * held: its lane is marked spilled (SpilledLanes) and the delivery stays in Kafka only. Once a
   * spilled lane has no attempt in progress, no write of it waits in the outbox (so what Kafka
   * holds for it is what this object knows) and at most half its bound queued, the Kafka loop
   * re-reads the pending partitions (a Refill, at most once per REFILL_INTERVAL) and queues what
   * the bounds allow, in topic order; the lane stays spilled while anything was left behind. A
   * partition newly assigned is read the same way. So nothing is lost past a bound, it is
   * delivered later; and what is in memory, queued or read back, never exceeds the bounds.
   */
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryLanes.class);

  /** The shortest time between two re-reads of the pending topic for spilled lanes. */
  static final Duration REFILL_INTERVAL = Duration.ofSeconds(1);

  /**
   * The retries of a failed delivery: 30 s doubling to 4 h, each drawn from ½ to 1 of its nominal
   * value (docs/webhooks.md#retries).
   */
  static final Backoff RETRY = new Backoff(Duration.ofSeconds(30), Duration.ofHours(4));

  /** No attempt is made later than this after the first was due. */
  static final Duration RETRY_WINDOW = Duration.ofHours(24);

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

  /** A delivery held in a lane: from events partition {@code partition}, of {@code principal}. */
  record Entry(PendingDelivery p, int partition, String principal) {
    long bytes() {
      return p.body().length();
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

  private final Lanes<Entry> lanes;
  private final QueueBounds held = new QueueBounds();
  private final SpilledLanes spilled = new SpilledLanes();
  private final Set<Integer> owned = new HashSet<>();
  private final List<Write> outbox = new ArrayList<>();
  private final Map<String, Integer> consecutiveFailures = new HashMap<>();
  private final Set<String> unflushed = new HashSet<>();
  private long nextRefillAt = Long.MIN_VALUE;

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
    this.lanes =
        new Lanes<>(
            Comparator.comparingLong((Entry e) -> e.p().nextAttemptAt()),
            config.limits().inFlightPerPrincipal());
  }

  /** From now on deliveries of events partition {@code p} are this dispatcher's. */
  synchronized void own(Collection<Integer> partitions) {
    owned.addAll(partitions);
  }

  /** Forgets the deliveries of these partitions (another dispatcher owns them now). */
  synchronized void disown(Collection<Integer> partitions) {
    owned.removeAll(partitions);
    active = null; // a refill in progress is dropped: its lanes stay spilled, the next begins anew
    spilled.disown(partitions);
    for (String id : lanes.keys()) {
      lanes.remove(id, e -> partitions.contains(e.partition())).forEach(this::release);
    }
  }

  /**
   * Queues {@code p} (from events partition {@code partition}), already written to the pending
   * topic; one already queued is replaced. Past a bound it is left in Kafka (the lane spills); the
   * delivery of an endpoint that is gone is dropped.
   */
  synchronized void add(PendingDelivery p, int partition) {
    String id = p.endpointId();
    Entry in = lanes.inFlight(id);
    if (in != null && in.p().eventId().equals(p.eventId())) {
      return; // its attempt is in progress and decides what happens next
    }
    String principal = principalOf(id);
    lanes.remove(id, e -> e.p().eventId().equals(p.eventId())).forEach(this::release);
    if (principal == null) {
      emit(new Write(Kind.PENDING, partition, p.key(), null));
      return;
    }
    Entry entry = new Entry(p, partition, principal);
    if (spilled.contains(id)
        || !held.fits(config.limits(), lanes.held(id), principal, entry.bytes())) {
      spilled.mark(id, principal); // it is in Kafka; a refill brings it back when there is room
      return;
    }
    hold(id, entry);
  }

  /** The principal of {@code endpointId}: its lane's, else its registered one; null when gone. */
  String principalOf(String endpointId) {
    String principal = lanes.group(endpointId);
    if (principal == null) {
      principal = spilled.principal(endpointId);
    }
    if (principal == null) {
      principal = endpoints.get(endpointId).map(WebhookEndpoint::principal).orElse(null);
    }
    return principal;
  }

  private void hold(String endpointId, Entry e) {
    held.add(e.principal(), e.bytes());
    lanes.add(endpointId, e.principal(), e);
  }

  /** {@code e} is no longer held in memory (delivered, dropped, or another's now). */
  private void release(Entry e) {
    held.remove(e.principal(), e.bytes());
  }

  /** Deliveries queued or in progress. */
  synchronized int pending() {
    return lanes.held();
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
      for (String id : spilled.endpoints()) {
        if (lanes.inFlight(id) == null && !unflushed.contains(id) && lanes.held(id) <= half) {
          whole.add(id);
        }
      }
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
          from = Math.min(from, spilled.from(id, p));
        }
      }
      start.put(p, restoring.contains(p) || from == Long.MAX_VALUE ? 0L : from);
    }
    active = new Refill(this, read, Set.copyOf(restoring), whole, Map.copyOf(start));
    return active;
  }

  /**
   * The pending offset a refill reads {@code endpointId}'s deliveries of {@code partition} from.
   */
  synchronized long cursor(String endpointId, int partition) {
    return spilled.from(endpointId, partition);
  }

  /** Whether the lane of {@code endpointId} holds a delivery of {@code eventId}, queued or not. */
  synchronized boolean holds(String endpointId, String eventId) {
    return lanes.holds(endpointId, e -> e.p().eventId().equals(eventId));
  }

  /**
   * Whether {@code e} fits the bounds with {@code alsoFound} more of its endpoint and what {@code
   * promised} counts (a refill's finds) held too.
   */
  synchronized boolean fits(String endpointId, int alsoFound, Entry e, QueueBounds promised) {
    return held.fits(
        config.limits(), lanes.held(endpointId) + alsoFound, e.principal(), e.bytes(), promised);
  }

  /** Queues what {@code r} found, if it is still the active refill; see {@link Refill#finish()}. */
  synchronized void refilled(Refill r) {
    if (active != r) {
      return; // dropped meanwhile (a revocation, a newer restore): what it read may be stale
    }
    active = null;
    for (String id : r.touched()) {
      String principal = principalOf(id);
      if (principal == null) {
        continue;
      }
      boolean behind = r.leftBehind(id);
      if (r.refills(id) ? behind : spilled.contains(id) || behind) {
        spilled.mark(id, principal);
        spilled.readFrom(id, r.cursors(id));
      } else {
        spilled.clear(id);
      }
      for (Entry e : r.found(id)) {
        if (owned.contains(e.partition()) && !holds(id, e.p().eventId())) {
          hold(id, e);
        }
      }
    }
    r.gone().forEach((k, partition) -> emit(new Write(Kind.PENDING, partition, k, null)));
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
      for (String id : lanes.keys()) {
        if (active != null && active.refills(id)) {
          continue; // being refilled: no write of it may land past the refill's end unread
        }
        while (lanes.inFlight(id) == null
            && lanes.head(id) != null
            && lanes.head(id).p().nextAttemptAt() <= now) {
          WebhookEndpoint endpoint = endpoints.get(id).orElse(null);
          if (endpoint == null || endpoint.status() != WebhookEndpoint.Status.enabled) {
            Entry e = lanes.drop(id);
            release(e);
            emit(tombstone(e));
            if (endpoint != null) {
              record(e, now, DeliveryAttempt.FAILED, null, 0, "the endpoint is disabled", null);
            }
            continue;
          }
          Entry e = lanes.start(id);
          if (e == null) {
            break; // the principal's other attempts first: it waits, others go on
          }
          start.add(() -> complete(id, e, attempt(endpoint, e.p())));
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
    lanes.finish(endpointId, e);
    if (!owned.contains(e.partition())) {
      release(e);
      return; // revoked meanwhile: the new owner delivers it again
    }
    long now = clock.millis();
    PendingDelivery p = e.p();
    if (r.ok()) {
      release(e);
      consecutiveFailures.remove(endpointId);
      emit(tombstone(e));
      record(e, now, DeliveryAttempt.SUCCEEDED, r.status(), r.took().toMillis(), null, null);
      metrics.attempt(DeliveryAttempt.SUCCEEDED, r.took());
      return;
    }
    String error = r.error() != null ? r.error() : "the receiver answered HTTP " + r.status();
    int failures = consecutiveFailures.merge(endpointId, 1, Integer::sum);
    if (failures >= config.maxFailures()) {
      disable(endpointId, e, r, error, failures, now);
      return;
    }
    long next = now + RETRY.delay(p.attempts() + 1, random).toMillis();
    if (next > p.firstDueAt() + RETRY_WINDOW.toMillis()) {
      fail(
          e,
          now,
          r,
          error + "; no more attempts: the next would be more than 24 h after the first");
      return;
    }
    PendingDelivery retry = p.retryAt(next);
    emit(new Write(Kind.PENDING, e.partition(), retry.key(), retry.toJson()));
    record(e, now, DeliveryAttempt.RETRYING, r.status(), r.took().toMillis(), error, next);
    metrics.attempt(DeliveryAttempt.RETRYING, r.took());
    metrics.retry();
    // Still held: the retry takes the place of the attempt (same body, same bounds).
    lanes.add(endpointId, e.principal(), new Entry(retry, e.partition(), e.principal()));
  }

  /** The last attempt of {@code e} failed: it is dropped, its attempt recorded as failed. */
  private void fail(Entry e, long now, Result r, String error) {
    release(e);
    emit(tombstone(e));
    record(e, now, DeliveryAttempt.FAILED, r.status(), r.took().toMillis(), error, null);
    metrics.attempt(DeliveryAttempt.FAILED, r.took());
  }

  private void disable(String endpointId, Entry e, Result r, String error, int failures, long now) {
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
    fail(
        e,
        now,
        r,
        error + "; the endpoint is disabled after " + failures + " consecutive failures");
    consecutiveFailures.remove(endpointId);
    // A spilled lane stays spilled: a refill reads the rest and drops them.
    for (Entry queued : lanes.remove(endpointId, x -> true)) {
      release(queued);
      if (owned.contains(queued.partition())) {
        emit(tombstone(queued));
      }
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
    return lanes.inFlight();
  }

  /** The queued deliveries of one endpoint, due first (tests). */
  synchronized List<PendingDelivery> queued(String endpointId) {
    return lanes.queued(endpointId).stream().map(Entry::p).toList();
  }

  /** Deliveries held in memory, queued or in progress, and their body bytes (tests). */
  synchronized long[] held() {
    return held.all();
  }

  /** Deliveries of {@code principal} held in memory, queued or in progress (tests). */
  synchronized int held(String principal) {
    return held.entries(principal);
  }

  /** Whether the endpoint has deliveries in Kafka that are not held here (tests). */
  synchronized boolean spilled(String endpointId) {
    return spilled.contains(endpointId);
  }

  /** The consecutive failed attempts of an endpoint since its last success (tests). */
  synchronized int consecutiveFailures(String endpointId) {
    return consecutiveFailures.getOrDefault(endpointId, 0);
  }
}

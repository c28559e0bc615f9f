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
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryLanes.class);

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

  private record Entry(PendingDelivery p, int partition, long seq) {}

  private static final class Lane {
    final PriorityQueue<Entry> queue =
        new PriorityQueue<>(
            Comparator.comparingLong((Entry e) -> e.p().nextAttemptAt())
                .thenComparingLong(Entry::seq));
    Entry inFlight;
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
  private long seq;

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
    for (Lane lane : lanes.values()) {
      lane.queue.removeIf(e -> partitions.contains(e.partition()));
    }
    lanes.values().removeIf(l -> l.queue.isEmpty() && l.inFlight == null);
  }

  /** Queues {@code p} (from events partition {@code partition}); one already queued is replaced. */
  synchronized void add(PendingDelivery p, int partition) {
    Lane lane = lanes.computeIfAbsent(p.endpointId(), k -> new Lane());
    lane.queue.removeIf(e -> e.p().eventId().equals(p.eventId()));
    if (lane.inFlight != null && lane.inFlight.p().eventId().equals(p.eventId())) {
      return; // its attempt is in progress and decides what happens next
    }
    lane.queue.add(new Entry(p, partition, seq++));
  }

  /** Deliveries queued or in progress. */
  synchronized int pending() {
    int n = 0;
    for (Lane l : lanes.values()) {
      n += l.queue.size() + (l.inFlight == null ? 0 : 1);
    }
    return n;
  }

  /** The writes collected since the last call. */
  synchronized List<Write> drain() {
    List<Write> out = List.copyOf(outbox);
    outbox.clear();
    return out;
  }

  /** Starts the due head of every lane that has no attempt in progress. */
  void pump() {
    List<Runnable> start = new ArrayList<>();
    synchronized (this) {
      long now = clock.millis();
      for (Iterator<Map.Entry<String, Lane>> it = lanes.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Lane> me = it.next();
        Lane lane = me.getValue();
        while (lane.inFlight == null
            && !lane.queue.isEmpty()
            && lane.queue.peek().p().nextAttemptAt() <= now) {
          Entry e = lane.queue.poll();
          WebhookEndpoint endpoint = endpoints.get(e.p().endpointId()).orElse(null);
          if (endpoint == null) {
            outbox.add(tombstone(e));
            continue;
          }
          if (endpoint.status() != WebhookEndpoint.Status.enabled) {
            outbox.add(tombstone(e));
            record(e, now, DeliveryAttempt.FAILED, null, 0, "the endpoint is disabled", null);
            continue;
          }
          lane.inFlight = e;
          start.add(() -> complete(me.getKey(), e, attempt(endpoint, e.p())));
        }
        if (lane.inFlight == null && lane.queue.isEmpty()) {
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
    }
    if (!owned.contains(e.partition())) {
      return; // revoked meanwhile: the new owner delivers it again
    }
    long now = clock.millis();
    PendingDelivery p = e.p();
    if (r.ok()) {
      consecutiveFailures.remove(endpointId);
      outbox.add(tombstone(e));
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
      outbox.add(tombstone(e));
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
    outbox.add(new Write(Kind.PENDING, e.partition(), retry.key(), retry.toJson()));
    record(e, now, DeliveryAttempt.RETRYING, r.status(), r.took().toMillis(), error, next);
    metrics.attempt(DeliveryAttempt.RETRYING, r.took());
    metrics.retry();
    lanes
        .computeIfAbsent(endpointId, k -> new Lane())
        .queue
        .add(new Entry(retry, e.partition(), seq++));
  }

  private void disable(
      String endpointId, Lane lane, Entry e, Result r, String error, int failures, long now) {
    String reason =
        failures + " consecutive failed deliveries; the last: " + AddressGuard.echo(error);
    // A mark beside the endpoint's record, never the record itself: a delete this view has not
    // caught up with still wins (EndpointRegistry).
    DisabledMark mark = new DisabledMark(endpointId, reason, Rfc3339.format(now));
    if (endpoints.disable(mark)) {
      outbox.add(new Write(Kind.ENDPOINT, null, DisabledMark.key(endpointId), mark.toJson()));
      metrics.disabled();
      LOG.warn("webhook endpoint {} disabled: {}", endpointId, reason);
    }
    outbox.add(tombstone(e));
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
    if (lane != null) {
      for (Entry queued : lane.queue) {
        if (owned.contains(queued.partition())) {
          outbox.add(tombstone(queued));
        }
      }
      lane.queue.clear();
      lanes.remove(endpointId);
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
    outbox.add(new Write(Kind.DELIVERY, null, p.endpointId(), a.toJson()));
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

  /** The consecutive failed attempts of an endpoint since its last success (tests). */
  synchronized int consecutiveFailures(String endpointId) {
    return consecutiveFailures.getOrDefault(endpointId, 0);
  }
}

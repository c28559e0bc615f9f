package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.client.Backoff;
import dev.letmepost.net.AddressGuard;
import dev.letmepost.testing.MutableClock;
import dev.letmepost.wire.PostEvent;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dispatcher's delivery lanes against local receivers ({@link MockWebServer}): what goes out
 * (signature, headers, body), retries on the injected clock, disabling after N failures, no
 * head-of-line blocking between endpoints, the SSRF guard at delivery. Time moves only when the
 * test moves the clock; the test waits only for HTTP round trips to finish.
 */
class DeliveryLanesTest {
  static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");
  static final SigningKey KEY =
      SigningKey.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  static final String BODY =
      "{\"id\":\"evt_1\",\"type\":\"batch.completed\",\"createdAt\":\"2026-12-01T12:00:00.000Z\","
          + "\"data\":{\"batchId\":\"batch_1\"}}";

  final MutableClock clock = new MutableClock(T0);
  final EndpointRegistry endpoints = new EndpointRegistry();
  final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final ExecutorService executor = Executors.newFixedThreadPool(8);
  final List<MockWebServer> servers = new ArrayList<>();
  AddressGuard.Resolver resolver = AddressGuard.Resolver.SYSTEM;
  DeliveryLanes lanes;

  @BeforeEach
  void setUp() {
    lanes = lanes(WebhookConfig.defaults(new AddressGuard.Policy(true, false), "test"));
  }

  DeliveryLanes lanes(WebhookConfig config) {
    return lanes(config, executor, WebhookHttp.withDefaultTls()::post);
  }

  DeliveryLanes lanes(
      WebhookConfig config, ExecutorService pool, DeliveryLanes.Transport transport) {
    DeliveryLanes l =
        new DeliveryLanes(
            clock,
            pool,
            transport,
            endpoints,
            KEY,
            new AddressGuard(config.policy(), host -> resolver.resolve(host)),
            config,
            new WebhookMetrics(meters),
            () -> 0.5);
    l.own(List.of(0, 1, 2));
    return l;
  }

  @AfterEach
  void tearDown() throws Exception {
    executor.shutdownNow();
    for (MockWebServer s : servers) {
      s.shutdown();
    }
  }

  MockWebServer server() throws Exception {
    MockWebServer s = new MockWebServer();
    s.start(InetAddress.getLoopbackAddress(), 0);
    servers.add(s);
    return s;
  }

  WebhookEndpoint endpoint(String id, String url) {
    return endpoint(id, url, "key_alice");
  }

  WebhookEndpoint endpoint(String id, String url, String principal) {
    WebhookEndpoint e =
        new WebhookEndpoint(
            id,
            principal,
            url,
            List.of(PostEvent.BATCH_COMPLETED),
            WebhookEndpoint.Status.enabled,
            "2026-12-01T11:00:00.000Z",
            T0.minusSeconds(3600).toEpochMilli(),
            null,
            null);
    endpoints.put(e);
    return e;
  }

  static PendingDelivery pending(String endpointId, String eventId) {
    return new PendingDelivery(
        endpointId,
        eventId,
        PostEvent.BATCH_COMPLETED,
        BODY.replace("evt_1", eventId),
        0,
        T0.toEpochMilli(),
        T0.toEpochMilli());
  }

  List<DeliveryAttempt> drainAttempts(List<DeliveryLanes.Write> writes) {
    return writes.stream()
        .filter(w -> w.kind() == DeliveryLanes.Kind.DELIVERY)
        .map(w -> DeliveryAttempt.fromJson(w.value()))
        .toList();
  }

  /** Pumps until no attempt is in progress, then drains. */
  List<DeliveryLanes.Write> settle() {
    lanes.pump();
    List<DeliveryLanes.Write> all = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              all.addAll(lanes.drain());
              return lanes.inFlight() == 0;
            });
    all.addAll(lanes.drain());
    return all;
  }

  @Test
  void deliversSignedBodyWithEventIdAndTombstonesThePending() throws Exception {
    MockWebServer s = server();
    s.enqueue(new MockResponse().setResponseCode(204));
    endpoint("we_a", s.url("/hooks/lmp?x=1").toString());
    lanes.add(pending("we_a", "evt_1"), 1);

    List<DeliveryLanes.Write> writes = settle();

    RecordedRequest r = s.takeRequest(5, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    assertThat(r.getMethod()).isEqualTo("POST");
    assertThat(r.getPath()).isEqualTo("/hooks/lmp?x=1");
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(r.getHeader("Lmp-Event-Id")).isEqualTo("evt_1");
    assertThat(r.getHeader("Lmp-Delivery-Attempt")).isEqualTo("1");
    byte[] body = r.getBody().readByteArray();
    assertThat(new String(body, StandardCharsets.UTF_8)).isEqualTo(BODY);
    String signature = r.getHeader("Lmp-Signature");
    assertThat(signature).startsWith("t=" + T0.getEpochSecond() + ",v1=");
    assertThat(
            WebhookSignature.verify(
                KEY.secretFor("we_a"), signature, body, T0, WebhookSignature.TOLERANCE))
        .isTrue();
    assertThat(
            WebhookSignature.verify(
                KEY.secretFor("we_other"), signature, body, T0, WebhookSignature.TOLERANCE))
        .as("another endpoint's secret")
        .isFalse();

    assertThat(writes)
        .anySatisfy(
            w -> {
              assertThat(w.kind()).isEqualTo(DeliveryLanes.Kind.PENDING);
              assertThat(w.key()).isEqualTo("we_a/evt_1");
              assertThat(w.partition()).isEqualTo(1);
              assertThat(w.value()).isNull();
            });
    List<DeliveryAttempt> attempts = drainAttempts(writes);
    assertThat(attempts).hasSize(1);
    assertThat(attempts.get(0).result()).isEqualTo(DeliveryAttempt.SUCCEEDED);
    assertThat(attempts.get(0).httpStatus()).isEqualTo(204);
    assertThat(attempts.get(0).attemptedAt()).isEqualTo("2026-12-01T12:00:00.000Z");
    assertThat(lanes.pending()).isZero();
    assertThat(meters.scrape()).contains("lmp_webhook_deliveries_total{result=\"succeeded\"} 1.0");
  }

  @Test
  void failedAttemptIsRetriedOnlyWhenTheInjectedClockReachesTheBackoff() throws Exception {
    MockWebServer s = server();
    s.enqueue(new MockResponse().setResponseCode(500));
    s.enqueue(new MockResponse().setResponseCode(503));
    s.enqueue(new MockResponse().setResponseCode(200));
    endpoint("we_a", s.url("/h").toString());
    lanes.add(pending("we_a", "evt_1"), 0);

    List<DeliveryLanes.Write> first = settle();
    DeliveryAttempt a1 = drainAttempts(first).get(0);
    assertThat(a1.result()).isEqualTo(DeliveryAttempt.RETRYING);
    assertThat(a1.httpStatus()).isEqualTo(500);
    assertThat(a1.error()).isEqualTo("the receiver answered HTTP 500");
    // jitter 0.5 of [1/2, 1]: 30 s x 0.75 = 22.5 s
    assertThat(a1.nextAttemptAt()).isEqualTo("2026-12-01T12:00:22.500Z");
    PendingDelivery rewritten =
        first.stream()
            .filter(w -> w.kind() == DeliveryLanes.Kind.PENDING && w.value() != null)
            .map(w -> PendingDelivery.fromJson(w.value()))
            .findFirst()
            .orElseThrow();
    assertThat(rewritten.attempts()).isEqualTo(1);
    assertThat(rewritten.nextAttemptAt()).isEqualTo(T0.toEpochMilli() + 22_500);

    clock.advance(Duration.ofMillis(22_499));
    assertThat(settle()).as("not due yet: nothing happens").isEmpty();
    assertThat(s.getRequestCount()).isEqualTo(1);

    clock.advance(Duration.ofMillis(1));
    DeliveryAttempt a2 = drainAttempts(settle()).get(0);
    assertThat(a2.attempt()).isEqualTo(2);
    assertThat(a2.httpStatus()).isEqualTo(503);
    // second failure: 60 s x 0.75 = 45 s after now
    assertThat(a2.nextAttemptAt()).isEqualTo("2026-12-01T12:01:07.500Z");

    clock.advance(Duration.ofSeconds(45));
    List<DeliveryLanes.Write> third = settle();
    assertThat(drainAttempts(third).get(0).result()).isEqualTo(DeliveryAttempt.SUCCEEDED);
    assertThat(s.getRequestCount()).isEqualTo(3);
    s.takeRequest();
    s.takeRequest();
    assertThat(s.takeRequest().getHeader("Lmp-Delivery-Attempt")).isEqualTo("3");
    assertThat(meters.scrape()).contains("lmp_webhook_retries_total 2.0");
  }

  @Test
  void retriesStopTwentyFourHoursAfterTheFirstAttempt() throws Exception {
    MockWebServer s = server();
    s.enqueue(new MockResponse().setResponseCode(500));
    endpoint("we_a", s.url("/h").toString());
    PendingDelivery late =
        new PendingDelivery(
            "we_a",
            "evt_1",
            PostEvent.BATCH_COMPLETED,
            BODY,
            12,
            T0.minus(Duration.ofHours(23)).toEpochMilli(),
            T0.toEpochMilli());
    lanes.add(late, 0);

    List<DeliveryLanes.Write> writes = settle();

    DeliveryAttempt a = drainAttempts(writes).get(0);
    assertThat(a.result()).isEqualTo(DeliveryAttempt.FAILED);
    assertThat(a.attempt()).isEqualTo(13);
    assertThat(a.error()).contains("no more attempts");
    assertThat(writes)
        .filteredOn(w -> w.kind() == DeliveryLanes.Kind.PENDING)
        .singleElement()
        .satisfies(w -> assertThat(w.value()).isNull());
    assertThat(lanes.pending()).isZero();
  }

  @Test
  void endpointIsDisabledAfterNConsecutiveFailuresAndItsQueueDropped() throws Exception {
    lanes =
        lanes(WebhookConfig.defaults(new AddressGuard.Policy(true, false), "t").withMaxFailures(3));
    MockWebServer s = server();
    for (int i = 0; i < 3; i++) {
      s.enqueue(new MockResponse().setResponseCode(500));
    }
    endpoint("we_a", s.url("/h").toString());
    for (int i = 1; i <= 3; i++) {
      lanes.add(pending("we_a", "evt_" + i), 0);
    }
    lanes.add(pending("we_a", "evt_4"), 0); // queued behind, never attempted

    List<DeliveryLanes.Write> writes = new ArrayList<>(settle()); // evt_1 fails (1)
    writes.addAll(settle()); // evt_2 fails (2)
    writes.addAll(settle()); // evt_3 fails (3): disabled

    assertThat(s.getRequestCount()).isEqualTo(3);
    WebhookEndpoint disabled = endpoints.get("we_a").orElseThrow();
    assertThat(disabled.status()).isEqualTo(WebhookEndpoint.Status.disabled);
    assertThat(disabled.disabledReason())
        .isEqualTo("3 consecutive failed deliveries; the last: the receiver answered HTTP 500");
    assertThat(disabled.disabledAt()).isEqualTo("2026-12-01T12:00:00.000Z");
    assertThat(writes)
        .filteredOn(w -> w.kind() == DeliveryLanes.Kind.ENDPOINT)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.key()).isEqualTo("we_a/disabled");
              assertThat(DisabledMark.fromJson(w.value()))
                  .isEqualTo(
                      new DisabledMark("we_a", disabled.disabledReason(), disabled.disabledAt()));
            });
    // every pending delivery of the endpoint is gone: evt_1, evt_2 (retries queued), evt_3, evt_4
    assertThat(
            writes.stream()
                .filter(w -> w.kind() == DeliveryLanes.Kind.PENDING && w.value() == null)
                .map(DeliveryLanes.Write::key)
                .distinct())
        .containsExactlyInAnyOrder("we_a/evt_1", "we_a/evt_2", "we_a/evt_3", "we_a/evt_4");
    assertThat(lanes.pending()).isZero();
    assertThat(meters.scrape()).contains("lmp_webhook_disablings_total 1.0");

    lanes.add(pending("we_a", "evt_5"), 0);
    clock.advance(Duration.ofHours(1));
    List<DeliveryLanes.Write> later = settle();
    assertThat(s.getRequestCount()).as("a disabled endpoint gets nothing").isEqualTo(3);
    assertThat(drainAttempts(later).get(0).error()).isEqualTo("the endpoint is disabled");
  }

  @Test
  void successResetsTheConsecutiveFailures() throws Exception {
    MockWebServer s = server();
    s.enqueue(new MockResponse().setResponseCode(500));
    s.enqueue(new MockResponse().setResponseCode(200));
    endpoint("we_a", s.url("/h").toString());
    lanes.add(pending("we_a", "evt_1"), 0);
    lanes.add(pending("we_a", "evt_2"), 0);
    settle();
    assertThat(lanes.consecutiveFailures("we_a")).isEqualTo(1);
    settle(); // evt_2 is due now, evt_1's retry later
    assertThat(lanes.consecutiveFailures("we_a")).isZero();
  }

  @Test
  void aHangingEndpointDoesNotDelayAnotherOnesDeliveries() throws Exception {
    MockWebServer hanging = server();
    hanging.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    MockWebServer healthy = server();
    for (int i = 0; i < 5; i++) {
      healthy.enqueue(new MockResponse().setResponseCode(200));
    }
    endpoint("we_hang", hanging.url("/h").toString());
    endpoint("we_ok", healthy.url("/h").toString());
    lanes.add(pending("we_hang", "evt_h1"), 0);
    lanes.add(pending("we_hang", "evt_h2"), 0);
    for (int i = 1; i <= 5; i++) {
      lanes.add(pending("we_ok", "evt_" + i), 0);
    }

    lanes.pump();
    assertThat(hanging.takeRequest(5, TimeUnit.SECONDS)).isNotNull();
    // The hanging attempt holds its lane (10 s timeout); the other lane delivers all five.
    List<DeliveryLanes.Write> writes = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              lanes.pump();
              writes.addAll(lanes.drain());
              return drainAttempts(writes).size() == 5;
            });
    assertThat(drainAttempts(writes))
        .allSatisfy(a -> assertThat(a.endpointId()).isEqualTo("we_ok"))
        .allSatisfy(a -> assertThat(a.result()).isEqualTo(DeliveryAttempt.SUCCEEDED));
    assertThat(healthy.getRequestCount()).isEqualTo(5);
    assertThat(hanging.getRequestCount()).as("its second waits behind the first").isEqualTo(1);
    assertThat(lanes.queued("we_hang"))
        .extracting(PendingDelivery::eventId)
        .containsExactly("evt_h2");
  }

  @Test
  void aHostThatResolvesToLoopbackAtDeliveryIsRefusedDespiteCreation() throws Exception {
    // Created when webhooks.example resolved to a public address; now it resolves to 127.0.0.1.
    lanes = lanes(WebhookConfig.defaults(AddressGuard.Policy.STRICT, "t"));
    MockWebServer s = server();
    resolver = host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")};
    endpoint("we_a", "https://webhooks.example:" + s.getPort() + "/h");
    lanes.add(pending("we_a", "evt_1"), 0);

    DeliveryAttempt a = drainAttempts(settle()).get(0);

    assertThat(s.getRequestCount()).isZero();
    assertThat(a.result()).isEqualTo(DeliveryAttempt.RETRYING);
    assertThat(a.httpStatus()).isNull();
    assertThat(a.error())
        .isEqualTo(
            "url 'https://webhooks.example:"
                + s.getPort()
                + "/h' resolves to 127.0.0.1: loopback addresses are not allowed"
                + " (--webhook-allow-private-addresses allows them)");
  }

  @Test
  void aDeletedEndpointsPendingDeliveryIsDroppedWithoutACall() throws Exception {
    MockWebServer s = server();
    endpoint("we_a", s.url("/h").toString());
    lanes.add(pending("we_a", "evt_1"), 2);
    endpoints.remove("we_a");

    List<DeliveryLanes.Write> writes = settle();

    assertThat(s.getRequestCount()).isZero();
    assertThat(writes)
        .containsExactly(
            new DeliveryLanes.Write(DeliveryLanes.Kind.PENDING, 2, "we_a/evt_1", null));
  }

  /**
   * The revocation comes while the attempt is in progress: its outcome is the new owner's to write.
   * The receiver answers only once the partition is revoked (a latch, not a 300 ms delay that a
   * loaded machine outran: the answer came before the revocation and the test saw the writes).
   */
  @Test
  void aRevokedPartitionsOutcomeIsNotWritten() throws Exception {
    CountDownLatch posted = new CountDownLatch(1);
    CountDownLatch revoked = new CountDownLatch(1);
    lanes =
        lanes(
            WebhookConfig.defaults(new AddressGuard.Policy(true, false), "t"),
            executor,
            (url, address, headers, body, timeout) -> {
              posted.countDown();
              try {
                revoked.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return new WebhookHttp.Answer(200);
            });
    endpoint("we_a", "http://127.0.0.1:1/h");
    lanes.add(pending("we_a", "evt_1"), 1);
    lanes.pump();
    assertThat(posted.await(5, TimeUnit.SECONDS)).isTrue();
    lanes.disown(List.of(1));
    revoked.countDown();

    assertThat(settle()).as("the new owner of partition 1 delivers and records it").isEmpty();
  }

  @Test
  void backoffDoublesFromThirtySecondsToAFourHourCapWithHalfToFullJitter() {
    Backoff retry = DeliveryLanes.RETRY;
    assertThat(retry.delay(1)).isEqualTo(Duration.ofSeconds(30));
    assertThat(retry.delay(2)).isEqualTo(Duration.ofMinutes(1));
    assertThat(retry.delay(9)).isEqualTo(Duration.ofMinutes(128));
    assertThat(retry.delay(10)).isEqualTo(Duration.ofHours(4));
    assertThat(retry.delay(40)).isEqualTo(Duration.ofHours(4));
    assertThat(retry.delay(1, () -> 0.0)).isEqualTo(Duration.ofSeconds(15));
    assertThat(retry.delay(1, () -> 0.999_999)).isLessThan(Duration.ofSeconds(30));
    assertThat(retry.delay(10, () -> 0.0)).isEqualTo(Duration.ofHours(2));
    assertThat(DeliveryLanes.RETRY_WINDOW).isEqualTo(Duration.ofHours(24));
  }

  /**
   * Disabling brought back an endpoint its owner had just deleted. Interleaving: the owner deletes
   * we_a (the gateway writes a tombstone under we_a); the dispatcher's view has not read it yet,
   * its attempt fails for the last time and it disables we_a, writing the disabled endpoint under
   * we_a after the tombstone: every reader then had we_a again, disabled. Now the dispatcher writes
   * a mark under we_a/disabled, which applies only to an endpoint that is there: in either order,
   * and in the compacted topic, the tombstone wins; without a delete the endpoint reads disabled.
   */
  @Test
  void aDisablingAfterTheOwnersDeleteDoesNotBringTheEndpointBack() throws Exception {
    lanes =
        lanes(WebhookConfig.defaults(new AddressGuard.Policy(true, false), "t").withMaxFailures(1));
    MockWebServer s = server();
    s.enqueue(new MockResponse().setResponseCode(500));
    WebhookEndpoint created = endpoint("we_a", s.url("/h").toString());
    lanes.add(pending("we_a", "evt_1"), 0);

    DeliveryLanes.Write mark =
        settle().stream()
            .filter(w -> w.kind() == DeliveryLanes.Kind.ENDPOINT)
            .findFirst()
            .orElseThrow();
    assertThat(mark.key()).as("never the endpoint's own key").isEqualTo("we_a/disabled");

    // The owner's delete before the mark, in topic order: gone.
    EndpointRegistry deleteFirst = new EndpointRegistry();
    deleteFirst.apply("we_a", created.toJson());
    deleteFirst.apply("we_a", null);
    deleteFirst.apply(mark.key(), mark.value());
    assertThat(deleteFirst.get("we_a")).isEmpty();
    assertThat(deleteFirst.of("key_alice")).isEmpty();

    // The delete after the mark: gone.
    EndpointRegistry markFirst = new EndpointRegistry();
    markFirst.apply("we_a", created.toJson());
    markFirst.apply(mark.key(), mark.value());
    assertThat(markFirst.get("we_a"))
        .hasValueSatisfying(e -> assertThat(e.status()).isEqualTo(WebhookEndpoint.Status.disabled));
    markFirst.apply("we_a", null);
    assertThat(markFirst.get("we_a")).isEmpty();

    // Compacted: the tombstone has been cleaned away, the mark alone is left: still gone.
    EndpointRegistry compacted = new EndpointRegistry();
    compacted.apply(mark.key(), mark.value());
    assertThat(compacted.all()).isEmpty();

    // No delete: the endpoint reads disabled, with the dispatcher's reason.
    EndpointRegistry kept = new EndpointRegistry();
    kept.apply("we_a", created.toJson());
    kept.apply(mark.key(), mark.value());
    assertThat(kept.get("we_a")).contains(endpoints.get("we_a").orElseThrow());
    assertThat(kept.get("we_a").orElseThrow().disabledReason())
        .isEqualTo("1 consecutive failed deliveries; the last: the receiver answered HTTP 500");

    // The dispatcher's own view lost the race too: once it reads the tombstone, we_a is gone.
    endpoints.apply("we_a", null);
    assertThat(endpoints.disable(new DisabledMark("we_a", "late", "2026-12-01T12:00:00.000Z")))
        .isFalse();
    assertThat(endpoints.get("we_a")).isEmpty();
  }

  static final WebhookConfig.Limits SMALL =
      new WebhookConfig.Limits(2, 2, 3, 1 << 20, 100, 1 << 20);

  /**
   * One principal's slow receivers took every delivery thread. Interleaving: alice has six
   * endpoints whose receivers trickle (each attempt holds its thread up to the deadline); the pool
   * has four threads; each lane starts its head, alice's six attempts fill the pool, and bob's
   * deliveries wait behind them in the executor. Now a principal runs at most inFlightPerPrincipal
   * (here 2) attempts at once; its other lanes wait, and bob is delivered.
   */
  @Test
  void aPrincipalsSlowReceiversHoldAtMostItsShareOfThreadsAndAnotherIsDelivered() throws Exception {
    resolver = host -> new InetAddress[] {InetAddress.getByName("93.184.215.14")};
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger aliceNow = new AtomicInteger();
    AtomicInteger aliceMost = new AtomicInteger();
    List<String> delivered = new CopyOnWriteArrayList<>();
    ExecutorService four = Executors.newFixedThreadPool(4);
    try {
      lanes =
          lanes(
              WebhookConfig.defaults(AddressGuard.Policy.STRICT, "t")
                  .withLimits(new WebhookConfig.Limits(2, 256, 1024, 1 << 20, 16_384, 1 << 24)),
              four,
              (url, address, headers, body, timeout) -> {
                if (url.getHost().startsWith("alice")) {
                  aliceMost.accumulateAndGet(aliceNow.incrementAndGet(), Math::max);
                  try {
                    release.await(30, TimeUnit.SECONDS); // a receiver that trickles
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  aliceNow.decrementAndGet();
                }
                delivered.add(headers.get("Lmp-Event-Id"));
                return new WebhookHttp.Answer(200);
              });
      for (int i = 1; i <= 6; i++) {
        endpoint("we_a" + i, "https://alice" + i + ".example/h", "key_alice");
        lanes.add(pending("we_a" + i, "evt_a" + i), 0);
      }
      for (int i = 1; i <= 3; i++) {
        endpoint("we_b" + i, "https://bob" + i + ".example/h", "key_bob");
        lanes.add(pending("we_b" + i, "evt_b" + i + "_1"), 0);
        lanes.add(pending("we_b" + i, "evt_b" + i + "_2"), 0);
      }

      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                lanes.pump();
                return delivered.size() == 6;
              });
      assertThat(delivered).allSatisfy(id -> assertThat(id).startsWith("evt_b"));
      assertThat(aliceNow.get()).as("alice's attempts in progress").isEqualTo(2);
      assertThat(lanes.inFlight()).isEqualTo(2);

      release.countDown();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                lanes.pump();
                return delivered.size() == 12;
              });
      assertThat(aliceMost.get()).as("alice never ran more than 2 at once").isEqualTo(2);
      assertThat(delivered).doesNotHaveDuplicates();
    } finally {
      release.countDown();
      four.shutdownNow();
    }
  }

  /**
   * Owed deliveries of every endpoint sat in memory without a bound. Now past a bound (here 2 per
   * endpoint, 3 per principal) a delivery stays in lmp.webhook-pending only (the fake topic here,
   * written before it is queued, as the dispatcher does) and is read back once there is room: all
   * 20 arrive, each once, and memory never holds more than the bounds.
   */
  @Test
  void pastTheQueueBoundsDeliveriesWaitInKafkaAndAllArriveLaterOnce() throws Exception {
    List<String> delivered = new CopyOnWriteArrayList<>();
    lanes =
        lanes(
            WebhookConfig.defaults(new AddressGuard.Policy(true, false), "t").withLimits(SMALL),
            executor,
            (url, address, headers, body, timeout) -> {
              delivered.add(headers.get("Lmp-Event-Id"));
              return new WebhookHttp.Answer(200);
            });
    endpoint("we_a", "http://127.0.0.1:1/a");
    endpoint("we_b", "http://127.0.0.1:1/b");
    List<DeliveryLanes.Write> topic = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      for (String id : List.of("we_a", "we_b")) {
        PendingDelivery p = pending(id, "evt_" + id + "_" + i);
        topic.add(new DeliveryLanes.Write(DeliveryLanes.Kind.PENDING, 0, p.key(), p.toJson()));
        lanes.add(p, 0);
        assertWithinBounds();
      }
    }
    assertThat(lanes.spilled("we_a")).isTrue();
    assertThat(lanes.spilled("we_b")).isTrue();

    for (int round = 0; round < 200 && delivered.size() < 20; round++) {
      for (DeliveryLanes.Write w : settle()) {
        if (w.kind() == DeliveryLanes.Kind.PENDING) {
          topic.add(w);
        }
      }
      clock.advance(DeliveryLanes.REFILL_INTERVAL);
      Refill refill = lanes.refill(List.of());
      if (refill != null) {
        for (int offset = 0; offset < topic.size(); offset++) {
          DeliveryLanes.Write w = topic.get(offset);
          refill.offer(w.partition(), offset, w.key(), w.value());
        }
        refill.finish();
      }
      assertWithinBounds();
    }

    assertThat(delivered).hasSize(20).doesNotHaveDuplicates();
    assertThat(lanes.pending()).isZero();
    assertThat(lanes.spilled("we_a")).isFalse();
    assertThat(lanes.held()).containsExactly(0L, 0L);
  }

  /**
   * A partition newly assigned was read whole into memory. Now it is read within the bounds: a
   * delivered (tombstoned) one is not queued, the rest up to the bound, and the lane spills; a
   * delivery of an endpoint that is gone is dropped.
   */
  @Test
  void aNewlyAssignedPartitionIsReadBackWithinTheBounds() {
    lanes =
        lanes(WebhookConfig.defaults(new AddressGuard.Policy(true, false), "t").withLimits(SMALL));
    endpoint("we_a", "http://127.0.0.1:1/a");
    List<DeliveryLanes.Write> topic = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      PendingDelivery p = pending("we_a", "evt_" + i);
      topic.add(new DeliveryLanes.Write(DeliveryLanes.Kind.PENDING, 1, p.key(), p.toJson()));
    }
    topic.add(new DeliveryLanes.Write(DeliveryLanes.Kind.PENDING, 1, "we_a/evt_1", null));
    topic.add(
        new DeliveryLanes.Write(DeliveryLanes.Kind.PENDING, 1, "we_gone/evt_9", BODY_OF_GONE));

    Refill refill = lanes.refill(List.of(1));
    for (int offset = 0; offset < topic.size(); offset++) {
      DeliveryLanes.Write w = topic.get(offset);
      refill.offer(w.partition(), offset, w.key(), w.value());
    }
    refill.finish();

    // evt_1 took a place until its tombstone came: the rest waits for the next refill.
    assertThat(lanes.queued("we_a")).extracting(PendingDelivery::eventId).containsExactly("evt_2");
    assertThat(lanes.spilled("we_a")).isTrue();
    assertThat(lanes.drain())
        .as("a delivery of an endpoint that is gone is dropped")
        .containsExactly(
            new DeliveryLanes.Write(DeliveryLanes.Kind.PENDING, 1, "we_gone/evt_9", null));
  }

  static final byte[] BODY_OF_GONE = pending("we_gone", "evt_9").toJson();

  /** Memory holds at most the bounds of {@link #SMALL}. */
  void assertWithinBounds() {
    assertThat(lanes.held("key_alice")).isLessThanOrEqualTo(SMALL.queuedPerPrincipal());
    for (String id : List.of("we_a", "we_b")) {
      assertThat(lanes.queued(id).size()).isLessThanOrEqualTo(SMALL.queuedPerEndpoint());
    }
    assertThat(lanes.held()[0]).isLessThanOrEqualTo(SMALL.queued());
  }

  /** A body bound holds as the entry bound does: past it, deliveries wait in Kafka. */
  @Test
  void theBodyBytesOfAPrincipalAreBounded() {
    long one = pending("we_a", "evt_1").body().length();
    lanes =
        lanes(
            WebhookConfig.defaults(new AddressGuard.Policy(true, false), "t")
                .withLimits(new WebhookConfig.Limits(2, 100, 100, 2 * one + 5, 100, 1 << 20)));
    endpoint("we_a", "http://127.0.0.1:1/a");
    for (int i = 1; i <= 5; i++) {
      lanes.add(pending("we_a", "evt_" + i), 0);
    }
    assertThat(lanes.held("key_alice")).isEqualTo(2);
    assertThat(lanes.held()[1]).isLessThanOrEqualTo(2 * one + 5);
    assertThat(lanes.spilled("we_a")).isTrue();
  }
}

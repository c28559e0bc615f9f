package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.testing.MutableClock;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The endpoint store without a broker: its writes go to a list, its view is an in-memory one. */
class WebhookStoreTest {
  static final SigningKey KEY =
      SigningKey.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));

  /** One write the store made: key and value (null: a tombstone). */
  record Written(String key, byte[] value) {}

  final EndpointRegistry endpoints = new EndpointRegistry();
  final List<Written> written = new CopyOnWriteArrayList<>();
  final AtomicInteger ids = new AtomicInteger();
  final ExecutorService pool = Executors.newFixedThreadPool(8);

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
  }

  WebhookStore store(WebhookStore.Writer writer) {
    return new WebhookStore(
        endpoints,
        new DeliveryLog(),
        () -> true,
        writer,
        KEY,
        new AddressGuard(
            AddressGuard.Policy.STRICT,
            host -> new InetAddress[] {InetAddress.getByName("93.184.215.14")}),
        new MutableClock(Instant.parse("2026-12-01T12:00:00Z")),
        () -> "we_" + ids.incrementAndGet());
  }

  /**
   * The 16-endpoint cap was check-then-act. Interleaving: two creates of one principal with 15
   * endpoints both count 15, both write (Kafka takes a few ms), and the principal has 17. The
   * writer here holds each write until a second write is in progress (or 200 ms pass), which widens
   * that window to every create: 8 threads make 64 creates, and at most 16 are written.
   */
  @Test
  void concurrentCreatesNeverExceedSixteenEndpoints() throws Exception {
    AtomicInteger inWriter = new AtomicInteger();
    CountDownLatch twoAtOnce = new CountDownLatch(1);
    WebhookStore store =
        store(
            (id, value) -> {
              if (inWriter.incrementAndGet() >= 2) {
                twoAtOnce.countDown();
              }
              try {
                twoAtOnce.await(200, TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              written.add(new Written(id, value));
              inWriter.decrementAndGet();
            });
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      results.add(
          pool.submit(
              () -> {
                try {
                  return store
                      .create("key_alice", "https://hooks.example/in", List.of("batch.completed"))
                      .endpoint()
                      .id();
                } catch (WebhookException e) {
                  return e.code();
                }
              }));
    }
    Map<String, Integer> answers = new ConcurrentHashMap<>();
    for (Future<String> f : results) {
      answers.merge(
          f.get(30, TimeUnit.SECONDS).startsWith("we_") ? "created" : f.get(), 1, Integer::sum);
    }

    assertThat(answers)
        .isEqualTo(Map.of("created", WebhookStore.MAX_ENDPOINTS, "too_many_endpoints", 48));
    assertThat(written).hasSize(WebhookStore.MAX_ENDPOINTS);
    assertThat(endpoints.of("key_alice")).hasSize(WebhookStore.MAX_ENDPOINTS);
    assertThat(twoAtOnce.getCount()).as("no two creates of one principal wrote at once").isOne();
  }

  /** Another principal's creates do not wait for the first's cap or lock to decide. */
  @Test
  void anotherPrincipalStillCreatesWhenTheFirstIsAtTheCap() throws Exception {
    WebhookStore store = store((id, value) -> written.add(new Written(id, value)));
    for (int i = 0; i < WebhookStore.MAX_ENDPOINTS; i++) {
      store.create("key_alice", "https://hooks.example/" + i, List.of("batch.completed"));
    }
    assertThat(store.create("key_bob", "https://hooks.example/b", List.of("batch.completed")))
        .isNotNull();
  }

  /**
   * The cap's lock was one of 64 stripes shared by unrelated principals and held across the Kafka
   * write (up to 10 s). Interleaving: principal key_Aa's create holds its stripe while Kafka is
   * slow; key_BB (the same hash code, so the same stripe) creates and waits for Aa's write, holding
   * a request thread. Now the lock is the principal's own: BB's create completes while Aa's write
   * is still blocked.
   */
  @Test
  void anotherPrincipalOnTheSameStripeCreatesWhileTheFirstsWriteIsBlocked() throws Exception {
    assertThat("key_Aa".hashCode()).isEqualTo("key_BB".hashCode());
    CountDownLatch aWriting = new CountDownLatch(1);
    CountDownLatch releaseA = new CountDownLatch(1);
    WebhookStore store =
        store(
            (id, value) -> {
              if (new String(value, StandardCharsets.UTF_8).contains("\"key_Aa\"")) {
                aWriting.countDown();
                try {
                  releaseA.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
              written.add(new Written(id, value));
            });
    Future<WebhookStore.Created> a =
        pool.submit(
            () -> store.create("key_Aa", "https://hooks.example/a", List.of("batch.completed")));
    assertThat(aWriting.await(10, TimeUnit.SECONDS)).isTrue();
    Future<WebhookStore.Created> b =
        pool.submit(
            () -> store.create("key_BB", "https://hooks.example/b", List.of("batch.completed")));

    assertThat(b.get(10, TimeUnit.SECONDS).endpoint().principal()).isEqualTo("key_BB");
    assertThat(a.isDone()).as("key_Aa's write is still blocked").isFalse();
    releaseA.countDown();
    assertThat(a.get(10, TimeUnit.SECONDS).endpoint().principal()).isEqualTo("key_Aa");
    assertThat(endpoints.of("key_Aa")).hasSize(1);
    assertThat(endpoints.of("key_BB")).hasSize(1);
    assertThat(store.changing("key_Aa")).isZero();
  }

  /**
   * A principal's own changes wait for its write in progress, but at most {@link
   * WebhookStore#MAX_WAITING} at once: past that a create is refused at once with 503 naming the
   * principal, so its flood cannot hold every request thread while Kafka is slow.
   */
  @Test
  void aPrincipalsChangesPastMaxWaitingAreRefusedAtOnce() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    WebhookStore store =
        store(
            (id, value) -> {
              try {
                release.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              written.add(new Written(id, value));
            });
    ExecutorService many = Executors.newFixedThreadPool(WebhookStore.MAX_WAITING);
    try {
      List<Future<WebhookStore.Created>> waiting = new ArrayList<>();
      for (int i = 0; i < WebhookStore.MAX_WAITING; i++) {
        String url = "https://hooks.example/" + i;
        waiting.add(many.submit(() -> store.create("key_alice", url, List.of("batch.completed"))));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (store.changing("key_alice") < WebhookStore.MAX_WAITING
          && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(store.changing("key_alice")).isEqualTo(WebhookStore.MAX_WAITING);

      WebhookException refused =
          assertThrows(
              WebhookException.class,
              () ->
                  store.create("key_alice", "https://hooks.example/x", List.of("batch.completed")));
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.getMessage()).contains("key_alice").contains("in progress");
      release.countDown();
      for (Future<WebhookStore.Created> f : waiting) {
        assertThat(f.get(10, TimeUnit.SECONDS)).isNotNull();
      }
      assertThat(endpoints.of("key_alice")).hasSize(WebhookStore.MAX_WAITING);
      assertThat(store.changing("key_alice")).isZero();
    } finally {
      many.shutdownNow();
    }
  }

  /**
   * A delete removes the endpoint (its own key first), then the dispatcher's mark, so nothing is
   * left in the compacted topic and a failure of the second write does not undo the first.
   */
  @Test
  void deleteTombstonesTheEndpointThenItsDisabledMark() throws Exception {
    WebhookStore store = store((id, value) -> written.add(new Written(id, value)));
    String id =
        store
            .create("key_alice", "https://hooks.example/in", List.of("batch.completed"))
            .endpoint()
            .id();
    written.clear();

    assertThat(store.delete("key_alice", id)).isTrue();

    assertThat(written).extracting(Written::key).containsExactly(id, DisabledMark.key(id));
    assertThat(written).allSatisfy(w -> assertThat(w.value()).isNull());
    assertThat(store.list("key_alice")).isEmpty();
    assertThat(Arrays.asList(store.delete("key_alice", id))).containsExactly(false);
  }

  /**
   * Two gateways each check the cap against their own view, which lags the other's write: in that
   * instant a principal can get a 17th endpoint. The dispatcher delivers to the principal's oldest
   * 16 only, so the extra one receives nothing (and a newer disabled or unsubscribed one none).
   */
  @Test
  void anEndpointPastTheCapReceivesNothing() {
    for (int i = 1; i <= WebhookStore.MAX_ENDPOINTS + 1; i++) {
      endpoints.put(
          new WebhookEndpoint(
              "we_" + i,
              "key_alice",
              "https://hooks.example/" + i,
              List.of("batch.completed"),
              WebhookEndpoint.Status.enabled,
              "2026-12-01T12:00:00.000Z",
              1_000L + i,
              null,
              null));
    }

    List<WebhookEndpoint> owed =
        WebhookDispatcher.recipients(endpoints, "key_alice", "batch.completed", 5_000L);

    assertThat(owed).hasSize(WebhookStore.MAX_ENDPOINTS);
    assertThat(owed).extracting(WebhookEndpoint::id).doesNotContain("we_17").contains("we_1");
    assertThat(WebhookDispatcher.recipients(endpoints, "key_alice", "batch.accepted", 5_000L))
        .isEmpty();
    assertThat(WebhookDispatcher.recipients(endpoints, "key_alice", "batch.completed", 1_005L))
        .as("an event recorded before an endpoint was created is not its")
        .extracting(WebhookEndpoint::id)
        .containsExactly("we_1", "we_2", "we_3", "we_4", "we_5");
  }
}

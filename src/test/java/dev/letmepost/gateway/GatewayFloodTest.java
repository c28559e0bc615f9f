package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.ALICE_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.BOB_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.BODY;
import static dev.letmepost.gateway.GatewayHttpTest.ENVELOPE;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static dev.letmepost.gateway.GatewayHttpTest.answer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One principal flooding the gateway with waiting requests: the waits hold no HTTP thread, are
 * bounded per principal, and leave other principals and the health routes answered.
 */
class GatewayFloodTest {
  final ExecutorService clientThreads = Executors.newFixedThreadPool(4);
  final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads).build();
  final FakeLedger ledger = new FakeLedger();
  Gateway gateway;
  URI base;

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    clientThreads.shutdownNow();
  }

  void start(GatewayConfig config) {
    gateway =
        new Gateway(config, Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateway.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, ledger, ledger));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  HttpRequest post(String apiKey, String key) {
    return HttpRequest.newBuilder(base.resolve("/v1/posts"))
        .header("Authorization", "Bearer " + apiKey)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(BODY))
        .build();
  }

  HttpResponse<String> send(HttpRequest r) throws Exception {
    return client.send(r, HttpResponse.BodyHandlers.ofString());
  }

  /** Bob's posts are answered at once; Alice's wait until the test completes them. */
  void ledgerAnswersBobOnly() {
    ledger.answers =
        s -> s.principal().equals("key_bob") ? answer(s, 201, false, "batch_b", ENVELOPE) : null;
  }

  /**
   * Each waiting {@code POST} held a Jetty thread for up to the answer timeout: 500 identical
   * retries of Alice's running batch (one flight, no answer yet) took every one of the server's 250
   * threads, and Bob's post and {@code /healthz} queued behind them until Alice's waits timed out.
   * Now all 500 wait at once, holding no thread, while Bob and the probes are answered; Alice's 500
   * then all get the one answer.
   */
  @Test
  void fiveHundredWaitingRetriesOfOnePrincipalLeaveAnotherPrincipalAndHealthAnswered()
      throws Exception {
    start(
        GatewayConfig.defaults()
            .withAnswerTimeout(Duration.ofMinutes(2))
            .withMaxWaitersPerPrincipal(1_000));
    ledgerAnswersBobOnly();
    int flood = 500;
    assertThat(flood).isGreaterThan(Gateway.HTTP_THREADS);
    List<CompletableFuture<HttpResponse<String>>> alice = new ArrayList<>();
    // In steps of 50 (within the listen backlog, so that no connection waits out SYN retries),
    // each step waiting before the next is sent.
    for (int step = 50; step <= flood; step += 50) {
      while (alice.size() < step) {
        alice.add(
            client.sendAsync(
                HttpRequest.newBuilder(post(ALICE_KEY, "K"), (n, v) -> true)
                    .timeout(Duration.ofMinutes(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      int expected = step;
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(gateway.waiting("key_alice"))
                      .as(() -> "waiting; requests ended early: " + ended(alice))
                      .isEqualTo(expected));
    }

    HttpResponse<String> bob = send(post(BOB_KEY, "B1"));
    HttpResponse<String> health = send(HttpRequest.newBuilder(base.resolve("/healthz")).build());
    HttpResponse<String> ready = send(HttpRequest.newBuilder(base.resolve("/readyz")).build());

    assertThat(bob.statusCode()).isEqualTo(201);
    assertThat(bob.body()).isEqualTo(ENVELOPE);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(alice).noneMatch(CompletableFuture::isDone);
    assertThat(ledger.submitted)
        .extracting(FakeLedger.Submitted::principal)
        .containsOnlyOnce("key_alice");

    FakeLedger.Submitted flight =
        ledger.submitted.stream().filter(s -> s.principal().equals("key_alice")).findFirst().get();
    ledger
        .pending
        .get(flight.requestId())
        .complete(answer(flight, 201, false, "batch_a", ENVELOPE));
    for (CompletableFuture<HttpResponse<String>> r : alice) {
      assertThat(r.get().statusCode()).isEqualTo(201);
      assertThat(r.get().headers().firstValue("Lmp-Request-Id")).contains(flight.requestId());
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> gateway.waiting() == 0);
  }

  /** The requests that ended, and how: what to look at when fewer than all of them wait. */
  static String ended(List<CompletableFuture<HttpResponse<String>>> requests) {
    return requests.stream()
        .filter(CompletableFuture::isDone)
        .map(f -> f.handle((r, e) -> e != null ? e.toString() : "status " + r.statusCode()).join())
        .collect(
            java.util.stream.Collectors.groupingBy(s -> s, java.util.stream.Collectors.counting()))
        .toString();
  }

  /**
   * Past its bound, a principal's request does not wait: it is {@code 202} at once with the
   * flight's {@code Location}, while another principal's requests still wait for their answers.
   */
  @Test
  void requestPastThePrincipalsWaiterBoundIs202AtOnceAndOthersStillWait() throws Exception {
    start(
        GatewayConfig.defaults()
            .withAnswerTimeout(Duration.ofMinutes(2))
            .withMaxWaitersPerPrincipal(2));
    List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      waiting.add(client.sendAsync(post(ALICE_KEY, "K"), HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> gateway.waiting("key_alice") == 2);

    HttpResponse<String> third = send(post(ALICE_KEY, "K"));
    CompletableFuture<HttpResponse<String>> bob =
        client.sendAsync(post(BOB_KEY, "B1"), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> gateway.waiting("key_bob") == 1);

    FakeLedger.Submitted flight = ledger.submitted.get(0);
    assertThat(third.statusCode()).isEqualTo(202);
    assertThat(third.headers().firstValue("Location"))
        .contains("/v1/requests/" + flight.requestId());
    assertThat(third.headers().firstValue("Retry-After")).contains("1");
    assertThat(ledger.submitted)
        .extracting(FakeLedger.Submitted::principal)
        .containsExactly("key_alice", "key_bob");
    assertThat(waiting).noneMatch(CompletableFuture::isDone);
    HttpResponse<String> polled =
        send(
            HttpRequest.newBuilder(base.resolve("/v1/requests/" + flight.requestId()))
                .header("Authorization", "Bearer " + ALICE_KEY)
                .build());
    assertThat(polled.statusCode()).isEqualTo(202);

    for (FakeLedger.Submitted s : ledger.submitted) {
      ledger.pending.get(s.requestId()).complete(answer(s, 201, false, "batch_1", ENVELOPE));
    }
    assertThat(bob.get().statusCode()).isEqualTo(201);
    for (CompletableFuture<HttpResponse<String>> r : waiting) {
      assertThat(r.get().statusCode()).isEqualTo(201);
    }
  }

  /**
   * Regression: the principal's bound did not bound what the principal held of the instance's
   * awaited answers: PostRoute submitted (KafkaLedgerClient: one of the instance's {@code
   * MAX_WAITERS} = 100,000 slots, held for the answer timeout) before Waiters checked the
   * principal's bound, and a request past it only skipped the HTTP wait. So one principal posting
   * under fresh keys at 1,000 requests a second fills the instance's bound within the default
   * answer timeout, and every other principal's write was then {@code 503 ledger_unavailable}. Now
   * a request past the bound is sent without a waiter.
   */
  @Test
  void aPrincipalPastItsWaiterBoundTakesNoMoreOfTheInstancesAwaitedAnswers() throws Exception {
    start(
        GatewayConfig.defaults()
            .withAnswerTimeout(Duration.ofMinutes(2))
            .withMaxWaitersPerPrincipal(1));
    CompletableFuture<HttpResponse<String>> first =
        client.sendAsync(post(ALICE_KEY, "K0"), HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(10)).until(() -> gateway.waiting("key_alice") == 1);
    for (int i = 1; i <= 20; i++) {
      send(post(ALICE_KEY, "K" + i));
    }

    java.util.Set<String> alices =
        ledger.submitted.stream()
            .filter(s -> s.principal().equals("key_alice"))
            .map(FakeLedger.Submitted::requestId)
            .collect(java.util.stream.Collectors.toSet());
    assertThat(ledger.pending.keySet().stream().filter(alices::contains))
        .as("answers the instance awaits for a principal whose bound is 1")
        .hasSizeLessThanOrEqualTo(1);
    assertThat(first).isNotDone();
  }

  /** A negative bound is refused at start-up, naming it. */
  @Test
  void negativeWaiterBoundIsRefusedNamingTheValue() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> GatewayConfig.defaults().withMaxWaitersPerPrincipal(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxWaitersPerPrincipal must not be negative, got -1");
  }

  /**
   * Regression: Jetty closed a connection after 30 s without traffic, its default idle timeout,
   * which is also the default answer timeout; a request still waiting for its answer then got a
   * reset instead of its {@code 202} (TenantFloodIT saw all 400 retries of a running batch reset).
   * A connection must outlive the longest wait of a request on it.
   */
  @Test
  void aConnectionOutlivesTheLongestWaitOfItsRequest() {
    GatewayConfig config = GatewayConfig.defaults();
    start(config);
    assertThat(gateway.connectorIdleTimeoutMillis())
        .isGreaterThan(config.answerTimeout().toMillis())
        .isGreaterThan(config.forwardTimeout().toMillis());
  }

  /**
   * Regression: the connector's listen backlog was the JDK's default of 50, so 400 connections
   * opened at once by one client (TenantFloodIT) overflowed it on a loaded machine and some were
   * reset unanswered.
   */
  @Test
  void theConnectorQueuesABurstOfNewConnections() {
    start(GatewayConfig.defaults());
    assertThat(gateway.acceptQueueSize()).isGreaterThanOrEqualTo(1024);
    assertThat(gateway.port()).isPositive();
  }
}

package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A decision that throws midway is answered {@code 500 internal_error} and leaves nothing else
 * behind: no store write, no task, no event (docs/contract.md#the-idempotency-table). The fault is
 * injected before the k-th write or forward of the decision, for every k the decision reaches.
 */
class WholeDecisionTest {
  /** The k at which the next decision fails, or -1. */
  private int failAt = -1;

  private LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness(
                c -> c,
                dev.letmepost.command.Preflight::check,
                held -> {
                  if (held == failAt) {
                    failAt = -1;
                    throw new IllegalStateException("injected fault before effect " + held);
                  }
                })
            .account("acc_tw", "twitter")
            .account("acc_li", "linkedin");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /**
   * Broke (issue 18, item 4): the catch-all answered "nothing was recorded or published" while the
   * writes and forwards made before the exception stayed in the committed transaction.
   * Interleaving: a retry of a done batch saved the batch with its new retry id, sent the retry's
   * task, then threw; the 500 invited a retry with the same key, which (its own record never
   * written) was decided afresh and sent the target a second time, or met the half-written retry
   * id.
   */
  @Test
  void aRetryThatThrowsMidwayLeavesOnlyThe500AndItsRetryStartsExactlyOneBatch() {
    int reached = 0;
    for (int k = 0; ; k++) {
      String id = doneWithFailure("P-" + k, T0.plusSeconds(10L * k));
      Instant at = T0.plusSeconds(10L * k + 5);
      String before = stores();
      failAt = k;
      retry(id, "R-" + k, "req-r-" + k, at);
      if (failAt == k) {
        failAt = -1;
        TestRecord<String, byte[]> done = answerRetryBatch(ledger.allTasks(), at);
        assertThat(status(done)).isEqualTo(201);
        break;
      }
      reached = k + 1;
      assertOnly500(before, "req-r-" + k);

      retry(id, "R-" + k, "req-r2-" + k, at.plusSeconds(1));
      List<PublishTask> tasks = ledger.allTasks();
      assertThat(tasks).as("the retry after the 500, k = " + k).hasSize(1);
      assertThat(tasks.get(0).accountId()).isEqualTo("acc_li");
      TestRecord<String, byte[]> done = answerRetryBatch(tasks, at.plusSeconds(2));
      assertThat(status(done)).isEqualTo(201);
      assertThat(header(done, LmpHeaders.BATCH_ID)).isEqualTo(tasks.get(0).batchId());
      ledger.events();
    }
    assertThat(reached).as("effects of a retry decision").isGreaterThanOrEqualTo(6);
  }

  /** As above, for a new post of two targets. */
  @Test
  void aPostThatThrowsMidwayLeavesOnlyThe500AndItsRetryStartsExactlyOneBatch() {
    int reached = 0;
    for (int k = 0; ; k++) {
      Instant at = T0.plusSeconds(10L * k);
      String before = stores();
      failAt = k;
      ledger.command(body("acc_tw", "acc_li")).key("P-" + k).request("req-" + k).at(at).send();
      if (failAt == k) {
        failAt = -1;
        break;
      }
      reached = k + 1;
      assertOnly500(before, "req-" + k);

      ledger.command(body("acc_tw", "acc_li")).key("P-" + k).request("req2-" + k).at(at).send();
      List<PublishTask> tasks = ledger.allTasks();
      assertThat(tasks)
          .as("the retry after the 500, k = " + k)
          .extracting(PublishTask::accountId)
          .containsExactlyInAnyOrder("acc_tw", "acc_li");
      assertThat(ledger.results()).isEmpty();
      ledger.events();
    }
    assertThat(reached).as("effects of a post decision").isGreaterThanOrEqualTo(6);
  }

  private void assertOnly500(String storesBefore, String requestId) {
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.key()).isEqualTo(requestId);
    assertThat(status(answer)).isEqualTo(500);
    assertThat(json(answer.value()).at("/error/code").asText()).isEqualTo("internal_error");
    assertThat(json(answer.value()).at("/error/message").asText()).contains("injected fault");
    ledger.assertNothingElseEmitted();
    ledger.assertNoEvents();
    String after = stores();
    String withoutThe500 =
        after
            .lines()
            .filter(l -> !l.startsWith("request-index " + requestId + "@"))
            .reduce("", (a, b) -> a + b + "\n");
    assertThat(withoutThe500).as("stores but the 500's request entry").isEqualTo(storesBefore);
    assertThat(after.lines().filter(l -> l.startsWith("request-index " + requestId + "@")))
        .hasSize(1);
  }

  private TestRecord<String, byte[]> answerRetryBatch(List<PublishTask> tasks, Instant at) {
    assertThat(tasks).hasSize(1);
    ledger.publishedOutcome(tasks.get(0), at);
    return ledger.onlyResult();
  }

  /** A batch of acc_tw (published) and acc_li (failed, retryable), answered; its id. */
  private String doneWithFailure(String key, Instant at) {
    ledger.command(body("acc_tw", "acc_li")).key(key).at(at).send();
    PublishTask tw = ledger.tasks(Platform.TWITTER).get(0);
    PublishTask li = ledger.tasks(Platform.LINKEDIN).get(0);
    ledger.publishedOutcome(tw, at);
    ledger.outcome(
        TargetOutcome.failed(li, new TargetError("rate_limited", "slow down", true)), at);
    TestRecord<String, byte[]> done = ledger.onlyResult();
    assertThat(status(done)).isEqualTo(207);
    ledger.events();
    return header(done, LmpHeaders.BATCH_ID);
  }

  private void retry(String batchId, String key, String requestId, Instant at) {
    ledger
        .command("")
        .header(LmpHeaders.METHOD, "POST".getBytes(StandardCharsets.UTF_8))
        .header(
            LmpHeaders.PATH, ("/v1/batches/" + batchId + "/retry").getBytes(StandardCharsets.UTF_8))
        .key(key)
        .request(requestId)
        .at(at)
        .send();
  }

  private static int status(TestRecord<String, byte[]> r) {
    return Integer.parseInt(header(r, LmpHeaders.STATUS));
  }

  /** Every entry of the ledger's four stores, one a line, values as their stored bytes. */
  private String stores() {
    TreeMap<String, String> all = new TreeMap<>();
    window(LedgerTopology.REPLAY_STORE, ReplayRecordCodec.serde().serializer(), all);
    window(LedgerTopology.REQUEST_INDEX, RequestEntryCodec.serde().serializer(), all);
    window(
        LedgerTopology.BATCH_INDEX,
        new org.apache.kafka.common.serialization.StringSerializer(),
        all);
    try (KeyValueIterator<String, Long> it =
        ledger.driver.<String, Long>getKeyValueStore(LedgerTopology.TIMER_STORE).all()) {
      it.forEachRemaining(kv -> all.put(LedgerTopology.TIMER_STORE + " " + kv.key, "" + kv.value));
    }
    StringBuilder b = new StringBuilder();
    all.forEach((k, v) -> b.append(k).append(' ').append(v).append('\n'));
    return b.toString();
  }

  private <V> void window(String store, Serializer<V> values, TreeMap<String, String> into) {
    List<KeyValue<Windowed<String>, V>> entries = new ArrayList<>();
    try (KeyValueIterator<Windowed<String>, V> it =
        ledger.driver.<String, V>getWindowStore(store).all()) {
      it.forEachRemaining(entries::add);
    }
    for (KeyValue<Windowed<String>, V> kv : entries) {
      into.put(
          store + " " + kv.key.key() + "@" + kv.key.window().start(),
          Base64.getEncoder().encodeToString(values.serialize(store, kv.value)));
    }
  }
}

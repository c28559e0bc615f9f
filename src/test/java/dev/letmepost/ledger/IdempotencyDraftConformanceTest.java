package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rows of docs/contract.md#conformance that the ledger decides, one test per row, over the
 * Kafka command headers (the HTTP rows: {@code gateway.GatewayIdempotencyDraftTest}).
 */
class IdempotencyDraftConformanceTest {
  private static final String UUID = "8e03978e-40d5-43e8-bc93-6894a57f9324";

  LedgerHarness ledger = new LedgerHarness().account("acc_tw", "twitter");

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /** Row "header syntax": the sf-string and the bare key are one key, one batch. */
  @Test
  void headerSyntaxAQuotedKeyOnKafkaIsTheBareKey() {
    ledger.command(body("acc_tw")).key("\"" + UUID + "\"").request("req-1").send();
    ledger.publishedOutcome(ledger.tasks(Platform.TWITTER).get(0), T0.plusSeconds(1));
    TestRecord<String, byte[]> first = ledger.onlyResult();

    ledger.command(body("acc_tw")).key(UUID).request("req-2").at(T0.plusSeconds(2)).send();

    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(replay.value()).isEqualTo(first.value());
    assertThat(header(replay, LmpHeaders.IDEMPOTENCY_KEY)).isEqualTo(UUID);
    assertThat(ledger.replayRecords()).hasSize(1);
    ledger.assertNothingElseEmitted();
  }

  /**
   * Row "header syntax", the collision attack: a value that starts with a quote is always an
   * sf-string, so bare {@code "a"} is the key {@code a}, and the key {@code "a"} (sent {@code
   * "\"a\""}) is another batch.
   */
  @Test
  void headerSyntaxAValueStartingWithAQuoteNeverCollidesWithAnotherKey() {
    ledger.command(body("acc_tw")).key("\"a\"").request("req-1").send();
    ledger.command(body("acc_tw")).key("a").request("req-2").send();
    ledger.command(body("acc_tw")).key("\"\\\"a\\\"\"").request("req-3").send();

    assertThat(ledger.tasks(Platform.TWITTER)).hasSize(2);
    assertThat(ledger.replayRecords()).hasSize(2);
  }

  /** Row "malformed header": 400 naming the problem and the value, nothing recorded. */
  @Test
  void malformedHeaderIs400InvalidIdempotencyKeyOnTheResultsTopic() {
    ledger.command(body("acc_tw")).key("\"abc").request("req-1").send();

    TestRecord<String, byte[]> r = ledger.onlyResult();
    assertThat(r.key()).isEqualTo("req-1");
    assertThat(header(r, LmpHeaders.STATUS)).isEqualTo("400");
    assertThat(header(r, LmpHeaders.IDEMPOTENCY_KEY)).isNull();
    assertThat(json(r.value()).at("/error/code").asText()).isEqualTo("invalid_idempotency_key");
    assertThat(json(r.value()).at("/error/message").asText())
        .isEqualTo("Idempotency-Key '\"abc' is an unterminated sf-string (no closing quote)");
    assertThat(ledger.replayRecords()).isEmpty();
    assertThat(ledger.allTasks()).isEmpty();
    ledger.assertNothingElseEmitted();
  }

  /** Row "same key, other payload": 422, nothing published. */
  @Test
  void sameKeyOtherPayloadIs422IdempotencyConflict() {
    ledger.account("acc_li", "linkedin");
    ledger.command(body("acc_tw")).key(UUID).request("req-1").send();
    ledger.tasks(Platform.TWITTER);
    ledger.command(body("acc_tw", "acc_li")).key("\"" + UUID + "\"").request("req-2").send();

    TestRecord<String, byte[]> r = ledger.onlyResult();
    assertThat(header(r, LmpHeaders.STATUS)).isEqualTo("422");
    assertThat(json(r.value()).at("/error/code").asText()).isEqualTo("idempotency_conflict");
    assertThat(ledger.allTasks()).isEmpty();
  }

  /** Row "same key while the first runs": it waits; past --max-waiters, 409 in progress. */
  @Test
  void sameKeyWhileTheFirstRunsIs409IdempotencyInProgressPastTheWaiters() {
    ledger.close();
    ledger = new LedgerHarness(c -> c.with(v -> v.maxWaiters = 1)).account("acc_tw", "twitter");
    ledger.command(body("acc_tw")).key(UUID).request("req-1").send();
    ledger.command(body("acc_tw")).key(UUID).request("req-2").send();
    assertThat(ledger.results()).isEmpty();
    ledger.command(body("acc_tw")).key(UUID).request("req-3").send();

    TestRecord<String, byte[]> r = ledger.onlyResult();
    assertThat(r.key()).isEqualTo("req-3");
    assertThat(header(r, LmpHeaders.STATUS)).isEqualTo("409");
    assertThat(json(r.value()).at("/error/code").asText()).isEqualTo("idempotency_in_progress");
  }

  /** Row "same key, same payload, answered": the recorded status and bytes. */
  @Test
  void sameKeySamePayloadAnsweredReplaysTheRecordedBytes() {
    ledger.command(body("acc_tw")).key(UUID).request("req-1").send();
    ledger.publishedOutcome(ledger.tasks(Platform.TWITTER).get(0), T0.plusSeconds(1));
    TestRecord<String, byte[]> first = ledger.onlyResult();
    ledger.command(body("acc_tw")).key(UUID).request("req-2").at(T0.plusSeconds(5)).send();

    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(header(replay, LmpHeaders.STATUS)).isEqualTo(header(first, LmpHeaders.STATUS));
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(replay.value()).isEqualTo(first.value());
  }

  /** Row "expiry": the key is new 24 h after its first use, and every answer names the end. */
  @Test
  void expiryTheKeyIsNew24HoursAfterItsFirstUse() {
    ledger.command(body("acc_tw")).key(UUID).request("req-1").send();
    ledger.publishedOutcome(ledger.tasks(Platform.TWITTER).get(0), T0.plusSeconds(1));
    assertThat(header(ledger.onlyResult(), LmpHeaders.KEY_EXPIRES))
        .isEqualTo("2026-11-30T12:00:00.000Z");

    ledger.advanceWallClock(Duration.ofHours(24));
    ledger
        .command(body("acc_tw"))
        .key(UUID)
        .request("req-2")
        .at(T0.plus(Duration.ofHours(24)))
        .send();

    assertThat(ledger.tasks(Platform.TWITTER)).as("a new batch").hasSize(1);
  }

  /** Row "scope": the same key under another principal is another key and sees nothing. */
  @Test
  void scopeTheSameKeyUnderAnotherPrincipalIsAnotherRequest() {
    ledger.command(body("acc_tw")).key(UUID).request("req-1").send();
    ledger.tasks(Platform.TWITTER);
    ledger.command(body("acc_tw")).key(UUID).principal("key_bob").request("req-2").send();

    assertThat(ledger.results())
        .extracting(r -> header(r, LmpHeaders.REPLAYED))
        .doesNotContain("true");
    assertThat(ledger.results())
        .extracting(r -> header(r, LmpHeaders.STATUS))
        .doesNotContain("409", "422");
    assertThat(ledger.replayRecords()).as("one record per principal").hasSize(2);
  }

  /** Row "what is compared": the exact body bytes; one more space is another body. */
  @Test
  void whatIsComparedIsTheExactBodyBytes() {
    ledger.command(body("acc_tw")).key(UUID).request("req-1").send();
    ledger.tasks(Platform.TWITTER);
    ledger.command(body("acc_tw") + " ").key(UUID).request("req-2").send();

    List<TestRecord<String, byte[]>> results = ledger.results();
    assertThat(results).extracting(r -> header(r, LmpHeaders.STATUS)).containsExactly("422");
  }
}

package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ledger's idempotency table (docs/contract.md#the-idempotency-table), row by row, on a
 * TopologyTestDriver.
 */
class LedgerTopologyTest {
  private static final Duration TTL = Duration.ofHours(24);
  LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness()
            .account("acc_tw", "twitter")
            .account("acc_li", "linkedin")
            .account("acc_bs", "bluesky");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /** Sends the three-target batch under key K and returns the three tasks, one per platform. */
  private List<PublishTask> startBatch(String key, String requestId, Instant at) {
    ledger.command(body("acc_tw", "acc_li", "acc_bs")).key(key).request(requestId).at(at).send();
    PublishTask tw = single(ledger.tasks(Platform.TWITTER));
    PublishTask li = single(ledger.tasks(Platform.LINKEDIN));
    PublishTask bs = single(ledger.tasks(Platform.BLUESKY));
    return List.of(tw, li, bs);
  }

  private static <T> T single(List<T> list) {
    assertThat(list).hasSize(1);
    return list.get(0);
  }

  @Test
  void newKeyFansOutOneTaskPerTargetAndAnswersOnceEveryTargetHasAnOutcome() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    assertThat(ledger.results()).as("no answer while targets are open").isEmpty();

    PublishTask tw = tasks.get(0);
    assertThat(tw.accountId()).isEqualTo("acc_tw");
    assertThat(tw.platform()).isEqualTo("twitter");
    assertThat(tw.text()).isEqualTo("shipped");
    assertThat(tw.recordedAt()).isEqualTo(T0.toEpochMilli());
    assertThat(tw.deadline()).isEqualTo(T0.plus(LedgerConfig.DEFAULT_DEADLINE).toEpochMilli());
    assertThat(tasks).extracting(PublishTask::batchId).containsOnly(tw.batchId());
    assertThat(tw.batchId()).matches("batch_[0-9A-Z]{26}");
    assertThat(tasks).extracting(PublishTask::taskId).doesNotHaveDuplicates();
    assertThat(tasks).extracting(PublishTask::platformIdempotencyKey).doesNotHaveDuplicates();

    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    ledger.publishedOutcome(tasks.get(1), T0.plusSeconds(2));
    assertThat(ledger.results()).as("still one target open").isEmpty();
    ledger.outcome(
        TargetOutcome.failed(tasks.get(2), new TargetError("rate_limited", "slow down", true)),
        T0.plusSeconds(3));

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.key()).isEqualTo("req-1");
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("207");
    assertThat(header(answer, LmpHeaders.REPLAYED)).isEqualTo("false");
    assertThat(header(answer, LmpHeaders.IDEMPOTENCY_KEY)).isEqualTo("K1");
    assertThat(header(answer, LmpHeaders.BATCH_ID)).isEqualTo(tw.batchId());
    assertThat(header(answer, LmpHeaders.KEY_EXPIRES)).isEqualTo("2026-11-30T12:00:00.000Z");
    assertThat(new String(answer.value(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"id\":\""
                + tw.batchId()
                + "\",\"object\":\"batch\",\"status\":\"partial_failed\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"completedAt\":\"2026-11-29T12:00:03.000Z\","
                + "\"results\":["
                + "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"published\",\"postId\":\"post-acc_tw\",\"uri\":\"sandbox://acc_tw\"},"
                + "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"published\",\"postId\":\"post-acc_li\",\"uri\":\"sandbox://acc_li\"},"
                + "{\"accountId\":\"acc_bs\",\"platform\":\"bluesky\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\",\"retryable\":true}}]}");
    ledger.assertNothingElseEmitted();

    var records = ledger.replayRecords();
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key).isEqualTo(T0.toEpochMilli());
    assertThat(records.get(0).value.response()).isEqualTo(ByteString.copyOf(answer.value()));
    assertThat(ledger.timers()).as("completed batches leave the open-batch index").isEmpty();
  }

  @Test
  void allPublishedIs201() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("201");
    assertThat(json(answer.value()).get("status").asText()).isEqualTo("published");
  }

  @Test
  void replaysStoredEnvelopeByteForByte() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    TestRecord<String, byte[]> first = ledger.onlyResult();

    ledger
        .command(body("acc_tw", "acc_li", "acc_bs"))
        .key("K1")
        .request("req-2")
        .at(T0.plus(Duration.ofHours(3)))
        .recordKey("other")
        .send();

    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(replay.key()).isEqualTo("req-2");
    assertThat(replay.value()).isEqualTo(first.value());
    assertThat(header(replay, LmpHeaders.STATUS)).isEqualTo(header(first, LmpHeaders.STATUS));
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(header(replay, LmpHeaders.BATCH_ID)).isEqualTo(header(first, LmpHeaders.BATCH_ID));
    assertThat(header(replay, LmpHeaders.KEY_EXPIRES))
        .as("duplicates never extend the TTL")
        .isEqualTo(header(first, LmpHeaders.KEY_EXPIRES));
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords()).hasSize(1);
  }

  @Test
  void retriesWhileRunningWaitAndGetTheIdenticalAnswer() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    ledger
        .command(body("acc_tw", "acc_li", "acc_bs"))
        .key("K1")
        .request("req-2")
        .at(T0.plusSeconds(1))
        .send();
    ledger
        .command(body("acc_tw", "acc_li", "acc_bs"))
        .key("K1")
        .request("req-3")
        .at(T0.plusSeconds(2))
        .send();
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords().get(0).value.waiters()).containsExactly("req-2", "req-3");

    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(5)));

    List<TestRecord<String, byte[]>> answers = ledger.results();
    assertThat(answers).extracting(TestRecord::key).containsExactly("req-1", "req-2", "req-3");
    assertThat(answers)
        .extracting(r -> header(r, LmpHeaders.REPLAYED))
        .containsExactly("false", "true", "true");
    assertThat(answers)
        .allSatisfy(
            r -> {
              assertThat(r.value()).isEqualTo(answers.get(0).value());
              assertThat(header(r, LmpHeaders.STATUS)).isEqualTo("201");
            });
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords().get(0).value.waiters()).isEmpty();
  }

  @Test
  void waitersBeyondTheBoundGetInProgress() {
    ledger.close();
    ledger = new LedgerHarness(c -> c.with(v -> v.maxWaiters = 1)).account("acc_tw", "twitter");
    ledger.command(body("acc_tw")).key("K1").request("req-1").send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    ledger.command(body("acc_tw")).key("K1").request("req-2").send();
    ledger.command(body("acc_tw")).key("K1").request("req-3").send();

    TestRecord<String, byte[]> busy = ledger.onlyResult();
    assertThat(busy.key()).isEqualTo("req-3");
    assertThat(header(busy, LmpHeaders.STATUS)).isEqualTo("409");
    assertThat(json(busy.value()).at("/error/code").asText()).isEqualTo("idempotency_in_progress");
    ledger.assertNothingElseEmitted();

    ledger.publishedOutcome(task, T0.plusSeconds(1));
    assertThat(ledger.results()).extracting(TestRecord::key).containsExactly("req-1", "req-2");
  }

  @Test
  void conflictingBodyPublishesNothingAndLeavesTheFirstRecordUntouched() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    var before = ledger.replayRecords();

    ledger
        .command(body("acc_tw", "acc_li"))
        .key("K1")
        .request("req-2")
        .at(T0.plusSeconds(1))
        .send();

    TestRecord<String, byte[]> conflict = ledger.onlyResult();
    assertThat(conflict.key()).isEqualTo("req-2");
    assertThat(header(conflict, LmpHeaders.STATUS)).isEqualTo("422");
    assertThat(header(conflict, LmpHeaders.REPLAYED)).isEqualTo("false");
    assertThat(header(conflict, LmpHeaders.BATCH_ID)).isNull();
    assertThat(header(conflict, LmpHeaders.KEY_EXPIRES)).isEqualTo("2026-11-30T12:00:00.000Z");
    JsonNode error = json(conflict.value()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("idempotency_conflict");
    assertThat(error.get("message").asText()).contains("K1");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords())
        .usingRecursiveFieldByFieldElementComparator()
        .isEqualTo(before);

    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(2)));
    assertThat(ledger.onlyResult().key())
        .as("the first request still completes")
        .isEqualTo("req-1");
  }

  @Test
  void preflightFailureIsAnsweredAndNotRecordedSoAFixedRetryRuns() {
    ledger
        .command("{\"targets\":[],\"text\":\"x\",\"colour\":1}")
        .key("K1")
        .request("req-1")
        .send();

    TestRecord<String, byte[]> rejected = ledger.onlyResult();
    assertThat(header(rejected, LmpHeaders.STATUS)).isEqualTo("400");
    assertThat(header(rejected, LmpHeaders.KEY_EXPIRES)).isNull();
    assertThat(new String(rejected.value(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"code\":\"preflight_failed\",\"message\":\"the request body failed validation (2 errors)\",\"errors\":["
                + "{\"field\":\"colour\",\"code\":\"unknown_field\",\"message\":\"unknown field 'colour'\"},"
                + "{\"field\":\"targets\",\"code\":\"empty_batch\",\"message\":\"targets must hold at least one target\"}]}}");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords()).isEmpty();

    ledger.command(body("acc_tw")).key("K1").request("req-2").at(T0.plusSeconds(1)).send();
    assertThat(ledger.tasks(Platform.TWITTER)).hasSize(1);
  }

  @Test
  void ttlBoundaryMinusOneMillisecondReplays() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    byte[] first = ledger.onlyResult().value();
    ledger.advanceWallClock(TTL);

    ledger
        .command(body("acc_tw", "acc_li", "acc_bs"))
        .key("K1")
        .request("req-2")
        .at(T0.plus(TTL).minusMillis(1))
        .send();

    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(replay.value()).isEqualTo(first);
    ledger.assertNothingElseEmitted();
  }

  @Test
  void ttlBoundaryExactlyTwentyFourHoursLaterIsANewRequest() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    ledger.results();
    ledger.advanceWallClock(TTL);

    ledger
        .command(body("acc_tw", "acc_li", "acc_bs"))
        .key("K1")
        .request("req-2")
        .at(T0.plus(TTL))
        .send();

    assertThat(ledger.results()).as("a new batch runs; no answer yet").isEmpty();
    List<PublishTask> again = ledger.allTasks();
    assertThat(again).hasSize(3);
    assertThat(again.get(0).batchId()).isNotEqualTo(tasks.get(0).batchId());
    assertThat(again)
        .extracting(PublishTask::platformIdempotencyKey)
        .doesNotContainAnyElementsOf(
            tasks.stream().map(PublishTask::platformIdempotencyKey).toList());
    assertThat(ledger.replayRecords())
        .extracting(kv -> kv.key)
        .containsExactly(T0.toEpochMilli(), T0.plus(TTL).toEpochMilli());
  }

  @Test
  void farFutureProducerTimestampDoesNotExpireOtherRecords() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    byte[] first = ledger.onlyResult().value();

    ledger
        .command(body("acc_tw"))
        .key("K-future")
        .request("req-f")
        .at(T0.plus(Duration.ofDays(400)))
        .send();
    PublishTask future = single(ledger.tasks(Platform.TWITTER));
    assertThat(future.recordedAt())
        .as("filed at the ledger clock plus skew, not in a year")
        .isEqualTo(T0.plus(LedgerConfig.DEFAULT_SKEW).toEpochMilli());

    ledger
        .command(body("acc_tw", "acc_li", "acc_bs"))
        .key("K1")
        .request("req-2")
        .at(T0.plus(Duration.ofHours(2)))
        .send();
    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(replay.value()).isEqualTo(first);
    ledger.assertNothingElseEmitted();
  }

  @Test
  void oldProducerTimestampWithinTheMaxLagIsFiledAtTheWallClockAndStillDeduplicates() {
    ledger.advanceWallClock(Duration.ofHours(30));
    Instant now = T0.plus(Duration.ofHours(30));
    ledger.command(body("acc_tw")).key("K-now").request("req-n").at(now).send();
    ledger.tasks(Platform.TWITTER);

    Instant old = now.minus(LedgerConfig.DEFAULT_MAX_COMMAND_LAG).plusSeconds(1);
    ledger.command(body("acc_li")).key("K-old").request("req-o1").at(old).send();
    PublishTask task = single(ledger.tasks(Platform.LINKEDIN));
    assertThat(task.recordedAt()).as("filed at the wall clock").isEqualTo(now.toEpochMilli());
    ledger.command(body("acc_li")).key("K-old").request("req-o2").at(old).send();
    ledger.assertNothingElseEmitted();
    LedgerRecord record =
        ledger.replayRecords().stream()
            .filter(kv -> kv.value.requestId().equals("req-o1"))
            .findFirst()
            .orElseThrow()
            .value;
    assertThat(record.firstSeen())
        .as("the TTL counts from broker time")
        .isEqualTo(old.toEpochMilli());
    assertThat(record.waiters()).containsExactly("req-o2");
  }

  /**
   * A command read later than the max lag after the broker accepted it may have outlived the replay
   * record it should meet: it is answered 503 ledger_behind, and nothing is recorded or published.
   */
  @Test
  void commandReadLaterThanTheMaxLagIsAnsweredLedgerBehindAndPublishesNothing() {
    ledger.advanceWallClock(Duration.ofHours(30));
    ledger
        .command(body("acc_li"))
        .key("K-old")
        .request("req-o1")
        .at(T0.minus(Duration.ofDays(3)))
        .send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("503");
    assertThat(json(answer.value()).at("/error/code").asText()).isEqualTo("ledger_behind");
    assertThat(json(answer.value()).at("/error/message").asText()).contains("PT6H");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords()).isEmpty();
  }

  @Test
  void commandsWithoutKeyNeverMeetEvenWithIdenticalBodies() {
    ledger.command(body("acc_tw")).request("req-1").send();
    ledger.command(body("acc_tw")).request("req-2").send();
    List<PublishTask> tasks = ledger.tasks(Platform.TWITTER);
    assertThat(tasks).hasSize(2);
    assertThat(tasks.get(0).fingerprint()).isNotEqualTo(tasks.get(1).fingerprint());
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    List<TestRecord<String, byte[]>> answers = ledger.results();
    assertThat(answers).extracting(TestRecord::key).containsExactly("req-1", "req-2");
    assertThat(answers)
        .allSatisfy(
            r -> {
              assertThat(header(r, LmpHeaders.REPLAYED)).isEqualTo("false");
              assertThat(header(r, LmpHeaders.IDEMPOTENCY_KEY)).isNull();
            });
  }

  @Test
  void requestIdIsDerivedWhenAbsent() {
    ledger.command("{}").key("K1").send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.key()).matches("req_[0-9a-f]{26}");
    assertThat(header(answer, LmpHeaders.REQUEST_ID)).isEqualTo(answer.key());
  }

  @Test
  void sameKeyUnderAnotherPrincipalIsASeparateRequest() {
    ledger.account(new Account("acc_bob", "key_bob", "twitter", null, null, null, false));
    ledger.command(body("acc_tw")).key("K1").request("req-a").send();
    ledger.command(body("acc_bob")).key("K1").principal("key_bob").request("req-b").send();
    assertThat(ledger.tasks(Platform.TWITTER))
        .extracting(PublishTask::accountId)
        .containsExactly("acc_tw", "acc_bob");
    ledger.assertNothingElseEmitted();
  }

  @Test
  void sameKeyOnAnotherPathIsASeparateRequest() {
    ledger.command(body("acc_tw")).key("K1").request("req-a").send();
    ledger.tasks(Platform.TWITTER);
    ledger
        .command(body("acc_tw"))
        .key("K1")
        .request("req-b")
        .header(LmpHeaders.PATH, "/v1/other".getBytes(StandardCharsets.UTF_8))
        .send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("404");
    assertThat(json(answer.value()).at("/error/message").asText())
        .isEqualTo("no route for POST /v1/other");
    ledger.assertNothingElseEmitted();
  }

  @Test
  void perTargetProblemsFailThatTargetAndTheOthersStillPublish() {
    ledger.account(new Account("acc_bob", "key_bob", "twitter", null, null, null, false));
    ledger.account(
        new Account(
            "acc_off", PRINCIPAL, "mastodon", null, Account.Status.disconnected, null, false));
    String longText = "x".repeat(281);
    ledger
        .command(
            "{\"targets\":[{\"accountId\":\"acc_nope\"},{\"accountId\":\"acc_bob\"},{\"accountId\":\"acc_off\"},"
                + "{\"accountId\":\"acc_tw\"},{\"accountId\":\"acc_li\"}],\"text\":\""
                + longText
                + "\"}")
        .key("K1")
        .request("req-1")
        .send();

    PublishTask li = single(ledger.tasks(Platform.LINKEDIN));
    assertThat(li.targetIndex()).isEqualTo(4);
    ledger.assertNothingElseEmitted();
    ledger.publishedOutcome(li, T0.plusSeconds(1));

    JsonNode results = json(ledger.onlyResult().value()).get("results");
    assertThat(results.get(0).toString())
        .isEqualTo(
            "{\"accountId\":\"acc_nope\",\"status\":\"failed\",\"error\":{\"code\":\"account_not_found\",\"message\":\"account 'acc_nope' not found\",\"retryable\":false}}");
    assertThat(results.get(1).toString())
        .as("another principal's account reads exactly like a missing one")
        .isEqualTo(results.get(0).toString().replace("acc_nope", "acc_bob"));
    assertThat(results.get(2).at("/error/code").asText()).isEqualTo("account_disconnected");
    assertThat(results.get(3).at("/error/code").asText()).isEqualTo("text_too_long");
    assertThat(results.get(3).at("/error/message").asText()).contains("281").contains("280");
    assertThat(results.get(4).get("status").asText()).isEqualTo("published");
  }

  @Test
  void everyTargetFailingBeforePublishAnswersAtOnceWithoutTasks() {
    ledger.command(body("acc_nope")).key("K1").request("req-1").send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("207");
    assertThat(json(answer.value()).get("status").asText()).isEqualTo("failed");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.timers()).isEmpty();

    ledger.command(body("acc_nope")).key("K1").request("req-2").send();
    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(replay.value()).isEqualTo(answer.value());
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
  }

  @Test
  void platformTargetMeansThePrincipalsDefaultAccount() {
    ledger.account(new Account("acc_bs2", PRINCIPAL, "bluesky", null, null, null, true));
    ledger.account(new Account("acc_aaa", "key_bob", "bluesky", null, null, null, true));
    ledger
        .command(
            "{\"targets\":[{\"platform\":\"bluesky\"},{\"platform\":\"x\"},{\"platform\":\"threads\"}],\"text\":\"hi\"}")
        .key("K1")
        .request("req-1")
        .send();
    assertThat(single(ledger.tasks(Platform.BLUESKY)).accountId())
        .as("the flagged default wins")
        .isEqualTo("acc_bs2");
    assertThat(single(ledger.tasks(Platform.TWITTER)).accountId()).isEqualTo("acc_tw");
    ledger.assertNothingElseEmitted();
    ledger.advanceWallClock(
        LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).plusSeconds(1));
    JsonNode threads = json(ledger.onlyResult().value()).get("results").get(2);
    assertThat(threads.get("platform").asText()).isEqualTo("threads");
    assertThat(threads.at("/error/code").asText()).isEqualTo("no_default_account");
  }

  @Test
  void removedAccountIsNotFound() {
    ledger.removeAccount("acc_tw");
    ledger
        .command("{\"targets\":[{\"platform\":\"twitter\"}],\"text\":\"hi\"}")
        .key("K1")
        .request("req-1")
        .send();
    assertThat(json(ledger.onlyResult().value()).at("/results/0/error/code").asText())
        .isEqualTo("no_default_account");
  }

  @Test
  void targetsWithoutOutcomeByTheDeadlineEndUnknown() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    ledger.advanceWallClock(
        LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).minusSeconds(1));
    assertThat(ledger.results()).isEmpty();
    assertThat(ledger.timers()).hasSize(1);

    ledger.advanceWallClock(Duration.ofSeconds(1));

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    JsonNode envelope = json(answer.value());
    assertThat(envelope.get("status").asText()).isEqualTo("partial_failed");
    assertThat(envelope.at("/results/0/status").asText()).isEqualTo("published");
    assertThat(envelope.at("/results/1/status").asText()).isEqualTo("unknown");
    assertThat(envelope.at("/results/1/error/code").asText()).isEqualTo("outcome_unknown");
    assertThat(envelope.at("/results/1/error/retryable").isMissingNode())
        .as("unknown is not a retryable failure")
        .isTrue();
    assertThat(envelope.at("/results/2/status").asText()).isEqualTo("unknown");
    assertThat(ledger.timers()).isEmpty();

    ledger.publishedOutcome(tasks.get(1), T0.plus(Duration.ofMinutes(6)));
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords().get(0).value.response())
        .isEqualTo(ByteString.copyOf(answer.value()));
  }

  @Test
  void secondOutcomeOfATargetChangesNothing() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    ledger.outcome(
        TargetOutcome.failed(tasks.get(0), new TargetError("late", "late", false)),
        T0.plusSeconds(2));
    ledger.publishedOutcome(tasks.get(1), T0.plusSeconds(3));
    ledger.publishedOutcome(tasks.get(2), T0.plusSeconds(3));
    assertThat(json(ledger.onlyResult().value()).get("status").asText()).isEqualTo("published");
  }

  @Test
  void outcomeForAnUnknownBatchIsIgnored() {
    List<PublishTask> tasks = startBatch("K1", "req-1", T0);
    PublishTask t = tasks.get(0);
    ledger.outcome(
        new TargetOutcome(
            t.taskId(),
            "batch_OTHER",
            t.fingerprint(),
            t.recordedAt(),
            0,
            TargetOutcome.Status.published,
            "p",
            null,
            null),
        T0.plusSeconds(1));
    ledger.outcome(
        new TargetOutcome(
            "task_x",
            t.batchId(),
            t.fingerprint(),
            t.recordedAt(),
            7,
            TargetOutcome.Status.published,
            "p",
            null,
            null),
        T0.plusSeconds(1));
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords().get(0).value.targets())
        .allMatch(LedgerRecord.TargetState::open);
  }

  @Test
  void unreadableCommandsAreDeadLetteredAndTheStreamGoesOn() {
    ledger.command(body("acc_tw")).principal(null).recordKey("k1").request("req-1").send();
    ledger
        .command(body("acc_tw"))
        .principal(null)
        .header(LmpHeaders.PRINCIPAL, new byte[] {(byte) 0xff, (byte) 0xfe})
        .recordKey("k2")
        .send();
    ledger.command(body("acc_tw")).key("K1").request("req-3").send();

    List<TestRecord<byte[], byte[]>> dead = ledger.deadLetters();
    assertThat(dead).hasSize(2);
    assertThat(dead.get(0).key()).isEqualTo("k1".getBytes(StandardCharsets.UTF_8));
    assertThat(dead.get(0).value()).isEqualTo(body("acc_tw").getBytes(StandardCharsets.UTF_8));
    assertThat(header(dead.get(0), LmpHeaders.ERROR_CODE)).isEqualTo("missing_principal");
    assertThat(header(dead.get(0), LmpHeaders.REQUEST_ID))
        .as("original headers are kept")
        .isEqualTo("req-1");
    assertThat(header(dead.get(0), LmpHeaders.ERROR_TOPIC)).isEqualTo("lmp.post-commands");
    assertThat(header(dead.get(0), LmpHeaders.ERROR_OFFSET)).isEqualTo("0");
    assertThat(header(dead.get(1), LmpHeaders.ERROR_CODE)).isEqualTo("invalid_header_encoding");
    assertThat(header(dead.get(1), LmpHeaders.ERROR_MESSAGE)).contains("lmp-principal");
    assertThat(ledger.tasks(Platform.TWITTER)).hasSize(1);
    ledger.assertNothingElseEmitted();
  }

  @Test
  void invalidIdempotencyKeyIsA400NamingTheProblem() {
    ledger.command(body("acc_tw")).key("bad\u0001key").request("req-1").send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("400");
    assertThat(json(answer.value()).at("/error/code").asText())
        .isEqualTo("invalid_idempotency_key");
    assertThat(json(answer.value()).at("/error/message").asText()).contains("U+0001");
    ledger.assertNothingElseEmitted();
    ledger.command(body("acc_tw")).key("k".repeat(129)).request("req-2").send();
    assertThat(json(ledger.onlyResult().value()).at("/error/message").asText()).contains("129");
  }

  @Test
  void scheduledBatchIsAcceptedNowAndFannedOutAtItsTime() {
    ledger
        .command(
            "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"later\",\"scheduledAt\":\"2026-11-29T13:00:00Z\"}")
        .key("K1")
        .request("req-1")
        .send();
    TestRecord<String, byte[]> accepted = ledger.onlyResult();
    assertThat(header(accepted, LmpHeaders.STATUS)).isEqualTo("202");
    JsonNode envelope = json(accepted.value());
    assertThat(envelope.get("status").asText()).isEqualTo("scheduled");
    assertThat(envelope.get("scheduledAt").asText()).isEqualTo("2026-11-29T13:00:00.000Z");
    assertThat(envelope.at("/results/0/status").asText()).isEqualTo("scheduled");
    ledger.assertNothingElseEmitted();

    ledger
        .command(
            "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"later\",\"scheduledAt\":\"2026-11-29T13:00:00Z\"}")
        .key("K1")
        .request("req-2")
        .send();
    assertThat(ledger.onlyResult().value()).isEqualTo(accepted.value());

    ledger.advanceWallClock(Duration.ofMinutes(59));
    ledger.assertNothingElseEmitted();
    ledger.advanceWallClock(Duration.ofMinutes(1));
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    assertThat(task.text()).isEqualTo("later");
    assertThat(task.deadline()).isEqualTo(Instant.parse("2026-11-29T13:05:00Z").toEpochMilli());
    ledger.publishedOutcome(task, Instant.parse("2026-11-29T13:00:01Z"));
    ledger.assertNothingElseEmitted();
    LedgerRecord record = ledger.replayRecords().get(0).value;
    assertThat(record.complete()).isTrue();
    assertThat(record.response())
        .as("the recorded answer stays the first one")
        .isEqualTo(ByteString.copyOf(accepted.value()));
  }

  @Test
  void scheduleBeyondTheReplayWindowIsRejected() {
    ledger
        .command(
            "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"x\",\"scheduledAt\":\"2026-12-05T00:00:00Z\"}")
        .key("K1")
        .request("req-1")
        .send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("400");
    assertThat(json(answer.value()).at("/error/errors/0/code").asText())
        .isEqualTo("schedule_too_far");
    assertThat(ledger.replayRecords()).isEmpty();
  }

  /**
   * Regression: a malformed account used to fail deserialization on the global thread, where Kafka
   * Streams 4.4's dead-letter handling throws a ClassCastException and stops the ledger.
   */
  @Test
  void malformedAccountRecordIsSkippedAndTheEarlierValueStays() {
    ledger.rawAccount(
        "acc_tw",
        "{\"accountId\":\"acc_tw\",\"principal\":\"key_alice\",\"platform\":\"myspace\"}");
    ledger.rawAccount("acc_new", "{not json");
    ledger.command(body("acc_tw", "acc_new")).key("K1").request("req-1").send();
    assertThat(single(ledger.tasks(Platform.TWITTER)).accountId()).isEqualTo("acc_tw");
    ledger.assertNothingElseEmitted();
  }

  /**
   * Regression found by LedgerProperties: two TTL periods of one key released at the same
   * wall-clock millisecond (a ledger catching up on a backlog gives every record of a poll the same
   * system time) shared one timer entry, so the first batch never timed out and its request was
   * never answered. Interleaving: req-1 at T0 and req-2 at T0 + ttl, both processed with the wall
   * clock at T0, then the deadline passes.
   */
  @Test
  void twoPeriodsOfOneKeyFallingDueTogetherBothEndUnknown() {
    ledger.close();
    ledger =
        new LedgerHarness(
                c ->
                    c.with(
                        v -> {
                          v.maxCommandLag = Duration.ofMinutes(5);
                          v.replayTtl = Duration.ofMinutes(10);
                          v.targetDeadline = Duration.ofMinutes(2);
                        }))
            .account("acc_tw", "twitter");
    ledger.command(body("acc_tw")).key("K0").request("req-1").at(T0).send();
    ledger
        .command(body("acc_tw"))
        .key("K0")
        .request("req-2")
        .at(T0.plus(Duration.ofMinutes(10)))
        .send();
    assertThat(ledger.tasks(Platform.TWITTER)).hasSize(2);
    assertThat(ledger.timers()).hasSize(2);

    ledger.advanceWallClock(Duration.ofMinutes(2).plus(LedgerConfig.DEFAULT_OUTCOME_GRACE));

    List<TestRecord<String, byte[]>> answers = ledger.results();
    assertThat(answers).extracting(TestRecord::key).containsExactlyInAnyOrder("req-1", "req-2");
    assertThat(answers)
        .allSatisfy(
            a -> assertThat(json(a.value()).at("/results/0/status").asText()).isEqualTo("unknown"));
    assertThat(ledger.timers()).isEmpty();
  }
}

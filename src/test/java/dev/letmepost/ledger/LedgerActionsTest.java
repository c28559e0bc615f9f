package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PostEvent;
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
 * The batch actions (docs/contract.md#batch-actions) on a TopologyTestDriver: cancel, reschedule
 * and retry on a batch in each state (scheduled, released, done, canceled), on an unknown id and on
 * another principal's batch; their idempotency table (byte-identical replay, conflict, expired
 * key); the original request's replay unchanged after an action; and a cancel and a release of the
 * same batch ending one way only.
 */
class LedgerActionsTest {
  static final String AT_13 = "2026-11-29T13:00:00Z";
  static final String SCHEDULED =
      "{\"targets\":[{\"accountId\":\"acc_tw\"},{\"accountId\":\"acc_li\"}],\"text\":\"later\","
          + "\"scheduledAt\":\""
          + AT_13
          + "\"}";

  LedgerHarness ledger;
  LedgerReads reads;

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness()
            .account("acc_tw", "twitter")
            .account("acc_li", "linkedin")
            .account("acc_bs", "bluesky");
    reads = ledger.reads();
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  // ---- helpers ----

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static String utf8(ByteString b) {
    return b.toUtf8String();
  }

  /** Sends an action command; {@code key} null for none. */
  void action(String method, String path, String key, String body, Instant at, String principal) {
    LedgerHarness.Cmd cmd =
        ledger
            .command(body)
            .header(LmpHeaders.METHOD, method.getBytes(StandardCharsets.UTF_8))
            .header(LmpHeaders.PATH, path.getBytes(StandardCharsets.UTF_8))
            .at(at);
    if (key != null) {
      cmd.key(key);
    }
    if (principal != null) {
      cmd.principal(principal);
    }
    cmd.send();
  }

  TestRecord<String, byte[]> cancel(String batchId, String key, Instant at) {
    action("DELETE", "/v1/batches/" + batchId, key, "", at, null);
    return ledger.onlyResult();
  }

  TestRecord<String, byte[]> reschedule(String batchId, String key, String to, Instant at) {
    action("PATCH", "/v1/batches/" + batchId, key, "{\"scheduledAt\":\"" + to + "\"}", at, null);
    return ledger.onlyResult();
  }

  TestRecord<String, byte[]> retry(String batchId, String key, Instant at) {
    action("POST", "/v1/batches/" + batchId + "/retry", key, "", at, null);
    return ledger.onlyResult();
  }

  static int status(TestRecord<String, byte[]> r) {
    return Integer.parseInt(header(r, LmpHeaders.STATUS));
  }

  /** A scheduled batch of two targets (due 13:00), answered 202; returns that answer. */
  TestRecord<String, byte[]> schedule() {
    ledger.command(SCHEDULED).key("K-post").at(T0).send();
    TestRecord<String, byte[]> accepted = ledger.onlyResult();
    assertThat(status(accepted)).isEqualTo(202);
    ledger.events();
    return accepted;
  }

  static String batchId(TestRecord<String, byte[]> r) {
    return header(r, LmpHeaders.BATCH_ID);
  }

  /** A batch of two targets run to its end: twitter published, linkedin {@code failed}. */
  TestRecord<String, byte[]> doneWithFailure(Boolean retryable) {
    ledger.command(body("acc_tw", "acc_li")).key("K-post").at(T0).send();
    PublishTask tw = ledger.tasks(Platform.TWITTER).get(0);
    PublishTask li = ledger.tasks(Platform.LINKEDIN).get(0);
    ledger.publishedOutcome(tw, T0.plusSeconds(1));
    ledger.outcome(
        TargetOutcome.failed(li, new TargetError("rate_limited", "slow down", retryable)),
        T0.plusSeconds(2));
    TestRecord<String, byte[]> done = ledger.onlyResult();
    assertThat(status(done)).isEqualTo(207);
    ledger.events();
    return done;
  }

  /** The POST's retry: its first answer, replayed byte for byte. */
  void assertOriginalReplaysUnchanged(TestRecord<String, byte[]> first, String body, Instant at) {
    ledger.command(body).key("K-post").at(at).send();
    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(status(replay)).isEqualTo(status(first));
    assertThat(utf8(replay.value())).isEqualTo(utf8(first.value()));
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
  }

  static String notFound(String id) {
    return "{\"error\":{\"code\":\"batch_not_found\",\"message\":\"no batch '"
        + id
        + "' for this API key\"}}";
  }

  // ---- cancel ----

  @Test
  void cancelOfAScheduledBatchCancelsItAndNothingIsEverPublished() {
    TestRecord<String, byte[]> accepted = schedule();
    String id = batchId(accepted);

    TestRecord<String, byte[]> r = cancel(id, "K-cancel", T0.plusSeconds(60));

    assertThat(status(r)).isEqualTo(200);
    assertThat(utf8(r.value()))
        .isEqualTo(
            "{\"id\":\""
                + id
                + "\",\"object\":\"batch\",\"status\":\"canceled\",\"createdAt\":\"2026-11-29T12:00:00.000Z\","
                + "\"scheduledAt\":\"2026-11-29T13:00:00.000Z\",\"canceledAt\":\"2026-11-29T12:01:00.000Z\","
                + "\"results\":[{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"canceled\"},"
                + "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"canceled\"}]}");
    assertThat(header(r, LmpHeaders.BATCH_ID)).isEqualTo(id);
    assertThat(header(r, LmpHeaders.IDEMPOTENCY_KEY)).isEqualTo("K-cancel");
    assertThat(header(r, LmpHeaders.REPLAYED)).isEqualTo("false");
    assertThat(header(r, LmpHeaders.KEY_EXPIRES)).isEqualTo("2026-11-30T12:01:00.000Z");
    List<PostEvent> events = ledger.eventValues();
    assertThat(events).extracting(PostEvent::type).containsExactly(PostEvent.BATCH_CANCELED);
    assertThat(utf8(dev.letmepost.wire.Json.write(events.get(0).data().get("batch"))))
        .isEqualTo(utf8(r.value()));
    assertThat(utf8(reads.batch(id).orElseThrow().envelope())).isEqualTo(utf8(r.value()));
    assertThat(reads.batch(id).orElseThrow().state()).isEqualTo("canceled");

    ledger.advanceWallClock(Duration.ofHours(2));
    assertThat(ledger.allTasks()).as("nothing is ever published").isEmpty();
    assertThat(ledger.timers()).isEmpty();
    assertOriginalReplaysUnchanged(accepted, SCHEDULED, T0.plusSeconds(120));
    ledger.assertNothingElseEmitted();
  }

  @Test
  void cancelOfAReleasedBatchIs409BatchNotCancelableNamingItsState() {
    ledger.command(body("acc_tw")).key("K-post").at(T0).send();
    String id = ledger.tasks(Platform.TWITTER).get(0).batchId();

    TestRecord<String, byte[]> r = cancel(id, "K-cancel", T0.plusSeconds(1));

    assertThat(status(r)).isEqualTo(409);
    assertThat(utf8(r.value()))
        .isEqualTo(
            "{\"error\":{\"code\":\"batch_not_cancelable\",\"message\":\"batch '"
                + id
                + "' is running (released to the publishers); only a scheduled batch can be"
                + " canceled\"}}");
    assertThat(header(r, LmpHeaders.BATCH_ID)).isEqualTo(id);
    ledger.assertNothingElseEmitted();
  }

  @Test
  void cancelOfADoneBatchIs409NamingItsFinalStatus() {
    String id = batchId(doneWithFailure(true));

    TestRecord<String, byte[]> r = cancel(id, "K-cancel", T0.plusSeconds(5));

    assertThat(status(r)).isEqualTo(409);
    assertThat(utf8(r.value()))
        .contains("batch_not_cancelable", "is partial_failed; only a scheduled batch");
  }

  @Test
  void repeatingACancelUnderAnotherKeyAnswersTheSameEnvelope() {
    String id = batchId(schedule());
    TestRecord<String, byte[]> first = cancel(id, "K-cancel-1", T0.plusSeconds(60));
    ledger.events();

    TestRecord<String, byte[]> second = cancel(id, "K-cancel-2", T0.plusSeconds(90));

    assertThat(status(second)).isEqualTo(200);
    assertThat(utf8(second.value())).isEqualTo(utf8(first.value()));
    assertThat(header(second, LmpHeaders.REPLAYED)).isEqualTo("false");
    ledger.assertNoEvents();
  }

  @Test
  void anActionOnAnUnknownIdAndOnAnotherPrincipalsBatchReadTheSame404() {
    String id = batchId(schedule());

    action("DELETE", "/v1/batches/batch_nope", "K-a", "", T0.plusSeconds(1), null);
    TestRecord<String, byte[]> unknown = ledger.onlyResult();
    action("DELETE", "/v1/batches/" + id, "K-a", "", T0.plusSeconds(1), "key_bob");
    TestRecord<String, byte[]> foreign = ledger.onlyResult();

    assertThat(status(unknown)).isEqualTo(404);
    assertThat(status(foreign)).isEqualTo(404);
    assertThat(utf8(unknown.value())).isEqualTo(notFound("batch_nope"));
    assertThat(utf8(foreign.value())).isEqualTo(notFound(id));
    assertThat(header(unknown, LmpHeaders.BATCH_ID)).isNull();
    assertThat(header(foreign, LmpHeaders.BATCH_ID)).isNull();
    assertThat(foreign.headers().toArray()).hasSameSizeAs(unknown.headers().toArray());
    assertThat(reads.batch(id).orElseThrow().state()).as("untouched").isEqualTo("scheduled");
    ledger.assertNoEvents();

    for (String method : List.of("PATCH", "POST")) {
      String path = "/v1/batches/" + id + (method.equals("POST") ? "/retry" : "");
      String b = method.equals("PATCH") ? "{\"scheduledAt\":\"" + AT_13 + "\"}" : "";
      action(method, path, "K-b", b, T0.plusSeconds(2), "key_bob");
      TestRecord<String, byte[]> r = ledger.onlyResult();
      assertThat(status(r)).as(method).isEqualTo(404);
      assertThat(utf8(r.value())).as(method).isEqualTo(notFound(id));
    }
    ledger.assertNothingElseEmitted();
  }

  // ---- reschedule ----

  @Test
  void rescheduleMovesAScheduledBatchWhichIsReleasedAtTheNewTimeOnly() {
    TestRecord<String, byte[]> accepted = schedule();
    String id = batchId(accepted);

    TestRecord<String, byte[]> r =
        reschedule(id, "K-move", "2026-11-29T14:00:00Z", T0.plusSeconds(60));

    assertThat(status(r)).isEqualTo(200);
    JsonNode envelope = json(r.value());
    assertThat(envelope.get("status").asText()).isEqualTo("scheduled");
    assertThat(envelope.get("scheduledAt").asText()).isEqualTo("2026-11-29T14:00:00.000Z");
    List<PostEvent> events = ledger.eventValues();
    assertThat(events).extracting(PostEvent::type).containsExactly(PostEvent.BATCH_RESCHEDULED);
    assertThat(events.get(0).data().at("/batch/scheduledAt").asText())
        .isEqualTo("2026-11-29T14:00:00.000Z");
    assertThat(json(reads.batch(id).orElseThrow().envelope()).get("scheduledAt").asText())
        .isEqualTo("2026-11-29T14:00:00.000Z");

    ledger.advanceWallClock(Duration.ofMinutes(61));
    assertThat(ledger.allTasks()).as("not at the old time").isEmpty();
    ledger.advanceWallClock(Duration.ofMinutes(60));
    List<PublishTask> tasks = ledger.allTasks();
    assertThat(tasks).hasSize(2).allSatisfy(t -> assertThat(t.text()).isEqualTo("later"));
    assertOriginalReplaysUnchanged(accepted, SCHEDULED, T0.plusSeconds(120));
  }

  @Test
  void twoReschedulesHaveTwoEventIds() {
    String id = batchId(schedule());
    reschedule(id, "K-move-1", "2026-11-29T14:00:00Z", T0.plusSeconds(60));
    reschedule(id, "K-move-2", "2026-11-29T15:00:00Z", T0.plusSeconds(61));

    List<PostEvent> events = ledger.eventValues();

    assertThat(events).hasSize(2).extracting(PostEvent::id).doesNotHaveDuplicates();
  }

  @Test
  void rescheduleOfAReleasedDoneOrCanceledBatchIs409NamingItsState() {
    String scheduled = batchId(schedule());
    cancel(scheduled, "K-c", T0.plusSeconds(1));
    TestRecord<String, byte[]> onCanceled =
        reschedule(scheduled, "K-m1", "2026-11-29T14:00:00Z", T0.plusSeconds(2));
    assertThat(status(onCanceled)).isEqualTo(409);
    assertThat(utf8(onCanceled.value()))
        .isEqualTo(
            "{\"error\":{\"code\":\"batch_not_reschedulable\",\"message\":\"batch '"
                + scheduled
                + "' is canceled; only a scheduled batch can be rescheduled\"}}");

    ledger.command(body("acc_bs")).key("K-run").at(T0).send();
    String running = ledger.tasks(Platform.BLUESKY).get(0).batchId();
    TestRecord<String, byte[]> onRunning =
        reschedule(running, "K-m2", "2026-11-29T14:00:00Z", T0.plusSeconds(3));
    assertThat(status(onRunning)).isEqualTo(409);
    assertThat(utf8(onRunning.value())).contains("is running (released to the publishers)");
  }

  @Test
  void rescheduleWithABadBodyIs400PreflightFailedAndNotRecorded() {
    String id = batchId(schedule());

    action("PATCH", "/v1/batches/" + id, "K-m", "{\"scheduledAt\":\"soon\",\"x\":1}", T0, null);
    TestRecord<String, byte[]> bad = ledger.onlyResult();

    assertThat(status(bad)).isEqualTo(400);
    assertThat(utf8(bad.value()))
        .contains("preflight_failed", "unknown field 'x'", "invalid_timestamp");
    TestRecord<String, byte[]> fixed =
        reschedule(id, "K-m", "2026-11-29T14:00:00Z", T0.plusSeconds(1));
    assertThat(status(fixed)).as("the key was not used up").isEqualTo(200);

    TestRecord<String, byte[]> tooFar =
        reschedule(id, "K-far", "2026-11-30T12:00:00Z", T0.plusSeconds(2));
    assertThat(status(tooFar)).isEqualTo(400);
    assertThat(utf8(tooFar.value())).contains("schedule_too_far");
  }

  // ---- retry ----

  @Test
  void retryOfADoneBatchRetriesOnlyItsFailedRetryableTargetsWithTheSameContentLinkedBothWays() {
    TestRecord<String, byte[]> done = doneWithFailure(true);
    String id = batchId(done);

    action("POST", "/v1/batches/" + id + "/retry", "K-retry", "", T0.plusSeconds(10), null);
    assertThat(ledger.results()).as("answered when the new batch completes").isEmpty();
    List<PublishTask> tasks = ledger.allTasks();
    assertThat(tasks).hasSize(1);
    PublishTask task = tasks.get(0);
    assertThat(task.accountId()).isEqualTo("acc_li");
    assertThat(task.text()).isEqualTo("shipped");
    String retryId = task.batchId();
    assertThat(retryId).startsWith("batch_").isNotEqualTo(id);
    assertThat(json(reads.batch(id).orElseThrow().envelope()).get("retries").get(0).asText())
        .isEqualTo(retryId);

    ledger.publishedOutcome(task, T0.plusSeconds(11));
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(status(answer)).isEqualTo(201);
    assertThat(header(answer, LmpHeaders.BATCH_ID)).isEqualTo(retryId);
    JsonNode envelope = json(answer.value());
    assertThat(envelope.get("id").asText()).isEqualTo(retryId);
    assertThat(envelope.get("retryOf").asText()).isEqualTo(id);
    assertThat(envelope.get("results")).hasSize(1);
    assertThat(envelope.at("/results/0/status").asText()).isEqualTo("published");
    assertThat(utf8(reads.batch(retryId).orElseThrow().envelope())).isEqualTo(utf8(answer.value()));
    assertThat(ledger.eventValues())
        .extracting(PostEvent::type)
        .containsExactly(
            PostEvent.BATCH_ACCEPTED, PostEvent.TARGET_PUBLISHED, PostEvent.BATCH_COMPLETED);

    retry(id, "K-retry", T0.plusSeconds(20));
    assertOriginalReplaysUnchanged(done, body("acc_tw", "acc_li"), T0.plusSeconds(30));
  }

  @Test
  void aRetryBatchCanItselfBeRetried() {
    String id = batchId(doneWithFailure(true));
    action("POST", "/v1/batches/" + id + "/retry", "K-r1", "", T0.plusSeconds(10), null);
    PublishTask first = ledger.allTasks().get(0);
    ledger.outcome(
        TargetOutcome.failed(first, new TargetError("rate_limited", "again", true)),
        T0.plusSeconds(11));
    assertThat(status(ledger.onlyResult())).isEqualTo(207);

    action(
        "POST", "/v1/batches/" + first.batchId() + "/retry", "K-r2", "", T0.plusSeconds(12), null);
    List<PublishTask> second = ledger.allTasks();

    assertThat(second).hasSize(1);
    assertThat(second.get(0).accountId()).isEqualTo("acc_li");
    assertThat(second.get(0).batchId()).isNotIn(id, first.batchId());
  }

  /** The 409 a retry of {@code id} gets once {@code retryId} took its failed targets over. */
  static String takenOver(String id, String retryId) {
    return "{\"error\":{\"code\":\"batch_not_retryable\",\"message\":\"batch '"
        + id
        + "' is partial_failed; its failed targets were handed to retry batch '"
        + retryId
        + "' already (a failed target is retried at most once per batch); to retry them again,"
        + " retry batch '"
        + retryId
        + "'\"}}";
  }

  /**
   * Broke (issue 18, item 1): the retry checked only that the batch was done and had a failed
   * retryable target, which stays so after a retry. Interleaving: retry under K-r1 starts retry
   * batch R, which publishes acc_li; the client, answered 202 by the gateway after 30 s, re-sends
   * under K-r2; the ledger made a second retry batch and acc_li was posted twice.
   */
  @Test
  void aSecondRetryOfABatchUnderAnotherKeyIs409NamingTheRetryBatchAndPublishesNothing() {
    String id = batchId(doneWithFailure(true));
    action("POST", "/v1/batches/" + id + "/retry", "K-r1", "", T0.plusSeconds(10), null);
    PublishTask first = single(ledger.allTasks());
    ledger.publishedOutcome(first, T0.plusSeconds(11));
    assertThat(status(ledger.onlyResult())).isEqualTo(201);
    ledger.events();

    TestRecord<String, byte[]> second = retry(id, "K-r2", T0.plusSeconds(40));

    assertThat(status(second)).isEqualTo(409);
    assertThat(utf8(second.value())).isEqualTo(takenOver(id, first.batchId()));
    assertThat(ledger.allTasks()).isEmpty();
    ledger.assertNoEvents();
    assertThat(json(reads.batch(id).orElseThrow().envelope()).get("retries"))
        .extracting(JsonNode::asText)
        .containsExactly(first.batchId());
    TestRecord<String, byte[]> replayed = retry(id, "K-r2", T0.plusSeconds(50));
    assertThat(replayed.value()).as("the refusal is recorded").isEqualTo(second.value());
    assertThat(header(replayed, LmpHeaders.REPLAYED)).isEqualTo("true");
  }

  /** As above, without an idempotency key: every keyless retry is new, and each is refused. */
  @Test
  void aSecondRetryWithoutAKeyIs409NamingTheRetryBatch() {
    String id = batchId(doneWithFailure(true));
    action("POST", "/v1/batches/" + id + "/retry", null, "", T0.plusSeconds(10), null);
    PublishTask first = single(ledger.allTasks());

    TestRecord<String, byte[]> again = retry(id, null, T0.plusSeconds(11));
    TestRecord<String, byte[]> third = retry(id, null, T0.plusSeconds(12));

    assertThat(utf8(again.value())).isEqualTo(takenOver(id, first.batchId()));
    assertThat(utf8(third.value())).isEqualTo(takenOver(id, first.batchId()));
    assertThat(ledger.allTasks()).isEmpty();
  }

  /**
   * Two retries of one batch under two keys, read in one poll while neither has an answer: they are
   * decided one after the other in the batch's task, so the second meets the first's retry batch
   * and is refused; one task goes out.
   */
  @Test
  void twoRetriesUnderTwoKeysAtOnceMakeExactlyOneRetryBatch() {
    String id = batchId(doneWithFailure(true));
    action("POST", "/v1/batches/" + id + "/retry", "K-a", "", T0.plusSeconds(10), null);
    action("POST", "/v1/batches/" + id + "/retry", "K-b", "", T0.plusSeconds(10), null);

    PublishTask only = single(ledger.allTasks());
    TestRecord<String, byte[]> refused = ledger.onlyResult();
    assertThat(utf8(refused.value())).isEqualTo(takenOver(id, only.batchId()));
    ledger.outcome(
        TargetOutcome.failed(only, new TargetError("rate_limited", "again", true)),
        T0.plusSeconds(11));
    assertThat(status(ledger.onlyResult())).isEqualTo(207);
    assertThat(ledger.allTasks()).isEmpty();
  }

  /**
   * The way to retry again is to retry the retry batch; along the chain each target reaches the
   * platform once per failed attempt, and a second retry of any link is refused naming its
   * successor.
   */
  @Test
  void retryingTheRetryBatchWorksAndNoAttemptIsSentTwice() {
    String id = batchId(doneWithFailure(true));
    action("POST", "/v1/batches/" + id + "/retry", "K-r1", "", T0.plusSeconds(10), null);
    PublishTask first = single(ledger.allTasks());
    ledger.outcome(
        TargetOutcome.failed(first, new TargetError("rate_limited", "again", true)),
        T0.plusSeconds(11));
    ledger.results();
    assertThat(utf8(retry(id, "K-r1b", T0.plusSeconds(12)).value()))
        .isEqualTo(takenOver(id, first.batchId()));

    action(
        "POST", "/v1/batches/" + first.batchId() + "/retry", "K-r2", "", T0.plusSeconds(13), null);
    PublishTask second = single(ledger.allTasks());
    ledger.publishedOutcome(second, T0.plusSeconds(14));
    assertThat(status(ledger.onlyResult())).isEqualTo(201);
    for (String link : List.of(id, first.batchId())) {
      action("POST", "/v1/batches/" + link + "/retry", "K-x-" + link, "", T0.plusSeconds(15), null);
      assertThat(status(ledger.onlyResult())).isEqualTo(409);
    }
    TestRecord<String, byte[]> last = retry(second.batchId(), "K-r3", T0.plusSeconds(16));

    assertThat(utf8(last.value())).contains("batch_not_retryable", "is published");
    assertThat(ledger.allTasks()).isEmpty();
    assertThat(List.of(first.accountId(), second.accountId())).containsOnly("acc_li");
    assertThat(second.batchId()).isNotIn(id, first.batchId());
    assertThat(json(reads.batch(first.batchId()).orElseThrow().envelope()).get("retries"))
        .extracting(JsonNode::asText)
        .containsExactly(second.batchId());
  }

  static PublishTask single(List<PublishTask> tasks) {
    assertThat(tasks).hasSize(1);
    return tasks.get(0);
  }

  @Test
  void retryWithNothingRetryableOrOfABatchNotDoneIs409BatchNotRetryable() {
    String notRetryable = batchId(doneWithFailure(false));
    TestRecord<String, byte[]> none = retry(notRetryable, "K-r", T0.plusSeconds(5));
    assertThat(status(none)).isEqualTo(409);
    assertThat(utf8(none.value()))
        .isEqualTo(
            "{\"error\":{\"code\":\"batch_not_retryable\",\"message\":\"batch '"
                + notRetryable
                + "' is partial_failed; none of its targets failed with retryable: true"
                + " (published and unknown targets are never retried)\"}}");

    String scheduled = batchId(scheduleUnder("K-s"));
    TestRecord<String, byte[]> onScheduled = retry(scheduled, "K-r2", T0.plusSeconds(6));
    assertThat(status(onScheduled)).isEqualTo(409);
    assertThat(utf8(onScheduled.value())).contains("is scheduled (not released yet)");
    cancel(scheduled, "K-c", T0.plusSeconds(7));
    TestRecord<String, byte[]> onCanceled = retry(scheduled, "K-r3", T0.plusSeconds(8));
    assertThat(utf8(onCanceled.value())).contains("batch_not_retryable", "is canceled");
    assertThat(ledger.allTasks()).isEmpty();
  }

  TestRecord<String, byte[]> scheduleUnder(String key) {
    ledger.command(SCHEDULED).key(key).at(T0).send();
    TestRecord<String, byte[]> r = ledger.onlyResult();
    ledger.events();
    return r;
  }

  // ---- the idempotency table for actions ----

  @Test
  void anActionRetriedWithItsKeyReplaysItsAnswerByteForByte() {
    String id = batchId(schedule());
    TestRecord<String, byte[]> first = cancel(id, "K-cancel", T0.plusSeconds(60));
    ledger.events();

    TestRecord<String, byte[]> again = cancel(id, "K-cancel", T0.plusSeconds(70));

    assertThat(status(again)).isEqualTo(200);
    assertThat(again.value()).isEqualTo(first.value());
    assertThat(header(again, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(header(again, LmpHeaders.KEY_EXPIRES))
        .isEqualTo(header(first, LmpHeaders.KEY_EXPIRES));
    ledger.assertNoEvents();
  }

  @Test
  void anActionKeyReusedWithAnotherBodyIs422IdempotencyConflictAndChangesNothing() {
    String id = batchId(schedule());
    reschedule(id, "K-move", "2026-11-29T14:00:00Z", T0.plusSeconds(60));
    ledger.events();

    TestRecord<String, byte[]> r =
        reschedule(id, "K-move", "2026-11-29T15:00:00Z", T0.plusSeconds(61));

    assertThat(status(r)).isEqualTo(422);
    assertThat(utf8(r.value())).contains("idempotency_conflict");
    assertThat(json(reads.batch(id).orElseThrow().envelope()).get("scheduledAt").asText())
        .isEqualTo("2026-11-29T14:00:00.000Z");
    ledger.assertNoEvents();
  }

  @Test
  void theSameKeyOnAnotherActionIsAnotherRecord() {
    String id = batchId(schedule());
    TestRecord<String, byte[]> moved =
        reschedule(id, "K", "2026-11-29T14:00:00Z", T0.plusSeconds(60));
    TestRecord<String, byte[]> canceled = cancel(id, "K", T0.plusSeconds(61));

    assertThat(status(moved)).isEqualTo(200);
    assertThat(status(canceled)).as("scope includes method and path").isEqualTo(200);
    assertThat(json(canceled.value()).get("status").asText()).isEqualTo("canceled");
  }

  @Test
  void anActionKeyPastItsTtlIsNew() {
    String id = batchId(schedule());
    TestRecord<String, byte[]> first = cancel(id, "K-cancel", T0.plusSeconds(60));
    ledger.advanceWallClock(Duration.ofHours(24).plusMinutes(2));

    TestRecord<String, byte[]> expired =
        cancel(id, "K-cancel", T0.plusSeconds(60).plus(Duration.ofHours(24)));

    assertThat(status(expired)).isEqualTo(200);
    assertThat(header(expired, LmpHeaders.REPLAYED)).isEqualTo("false");
    assertThat(header(expired, LmpHeaders.KEY_EXPIRES)).isEqualTo("2026-12-01T12:01:00.000Z");
    assertThat(json(expired.value()).get("status").asText()).isEqualTo("canceled");
    assertThat(utf8(expired.value())).isEqualTo(utf8(first.value()));
  }

  // ---- the cancel / release race ----

  /**
   * The release (wall-clock timer) and the cancel are decided in the same ledger task: the cancel
   * read first wins, even when the broker accepted it after the batch's scheduledAt, and the timer
   * then releases nothing.
   */
  @Test
  void cancelReadBeforeTheReleaseWinsAndNothingIsPublished() {
    String id = batchId(schedule());
    ledger.advanceWallClock(Duration.ofMinutes(59));

    TestRecord<String, byte[]> r = cancel(id, "K-cancel", Instant.parse(AT_13).plusMillis(1));
    ledger.advanceWallClock(Duration.ofMinutes(2));

    assertThat(status(r)).isEqualTo(200);
    assertThat(ledger.allTasks()).isEmpty();
    assertThat(reads.batch(id).orElseThrow().state()).isEqualTo("canceled");
  }

  /** The release run first wins: the cancel is {@code 409} and the tasks went out once. */
  @Test
  void releaseRunBeforeTheCancelWinsAndTheCancelIs409() {
    String id = batchId(schedule());
    ledger.advanceWallClock(Duration.ofMinutes(61));
    assertThat(ledger.allTasks()).hasSize(2);

    TestRecord<String, byte[]> r = cancel(id, "K-cancel", Instant.parse(AT_13).minusSeconds(1));

    assertThat(status(r)).isEqualTo(409);
    assertThat(utf8(r.value())).contains("batch_not_cancelable", "is running");
    assertThat(ledger.allTasks()).isEmpty();
    assertThat(ledger.eventValues()).extracting(PostEvent::type).doesNotContain("batch.canceled");
  }
}

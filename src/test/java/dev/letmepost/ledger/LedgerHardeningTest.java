package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Limits;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the ways hostile input and long outages broke the promise: each named for
 * what broke, on a TopologyTestDriver.
 */
class LedgerHardeningTest {
  private static final Duration TTL = LedgerConfig.DEFAULT_TTL;
  private LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger = withAccounts(new LedgerHarness());
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  private static LedgerHarness withAccounts(LedgerHarness h) {
    h.account("acc_tw", "twitter").account("acc_li", "linkedin").account("acc_bs", "bluesky");
    for (int i = 0; i < 25; i++) {
      h.account("acc_sb" + i, "sandbox");
    }
    return h;
  }

  private static <T> T single(List<T> list) {
    assertThat(list).hasSize(1);
    return list.get(0);
  }

  /**
   * Broke: the lower clamp {@code highWater - skew} was fed by every upstream partition. A fast
   * partition's command at T0+25h raised a retry sent at T0+24h-10min (its key still live) to
   * T0+24h, past the first request's expiry: a second batch, a second post.
   */
  @Test
  void retryTenMinutesBeforeExpiryReplaysAfterAFastPartitionMovedTimeOn() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(T0).send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    ledger.publishedOutcome(task, T0.plusSeconds(1));
    byte[] first = ledger.onlyResult().value();

    Duration outage = Duration.ofHours(25);
    ledger.advanceWallClock(outage);
    ledger.command(body("acc_li")).key("K-fast").request("req-f").at(T0.plus(outage)).send();
    single(ledger.tasks(Platform.LINKEDIN));

    ledger
        .command(body("acc_tw"))
        .key("K1")
        .request("req-2")
        .at(T0.plus(TTL).minus(Duration.ofMinutes(10)))
        .send();
    TestRecord<String, byte[]> replay = ledger.onlyResult();
    assertThat(header(replay, LmpHeaders.REPLAYED)).isEqualTo("true");
    assertThat(replay.value()).isEqualTo(first);
    ledger.assertNothingElseEmitted();
  }

  /**
   * Broke: after a restart the in-memory clamp was gone while the store's stream time was restored,
   * so a lagging command was put under its old timestamp into an expired segment and silently
   * dropped: its task went out, its outcome found no record, the request was never answered.
   */
  @Test
  void laggingCommandFiledBehindTheStreamTimeIsKeptAndAnswered() {
    ledger.close();
    ledger =
        withAccounts(
            new LedgerHarness(
                c -> c.withReplayTtl(Duration.ofDays(3)).withMaxCommandLag(Duration.ofDays(2))));
    Duration ahead = Duration.ofHours(30);
    ledger.advanceWallClock(ahead);
    ledger.command(body("acc_li")).key("K-new").request("req-n").at(T0.plus(ahead)).send();
    single(ledger.tasks(Platform.LINKEDIN));

    ledger.command(body("acc_tw")).key("K-old").request("req-o").at(T0).send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    ledger.publishedOutcome(task, T0.plus(ahead));

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.key()).isEqualTo("req-o");
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("201");
    assertThat(json(answer.value()).get("createdAt").asText())
        .as("the envelope tells the broker time")
        .isEqualTo(Rfc3339.format(T0.toEpochMilli()));
  }

  /**
   * A retry whose broker time is past the first request's TTL starts anew even when the ledger
   * reads it late; one inside the TTL replays however late it is read (within the max lag).
   */
  @Test
  void lateReadRetriesAreJudgedByBrokerTimeOnly() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(T0).send();
    ledger.publishedOutcome(single(ledger.tasks(Platform.TWITTER)), T0.plusSeconds(1));
    byte[] first = ledger.onlyResult().value();
    ledger.advanceWallClock(TTL.plusHours(3));

    ledger
        .command(body("acc_tw"))
        .key("K1")
        .request("req-2")
        .at(T0.plus(TTL).minusMillis(1))
        .send();
    assertThat(ledger.onlyResult().value()).isEqualTo(first);

    ledger.command(body("acc_tw")).key("K1").request("req-3").at(T0.plus(TTL)).send();
    assertThat(single(ledger.tasks(Platform.TWITTER)).batchId())
        .isNotEqualTo(json(first).get("id").asText());
  }

  /**
   * Broke: ExpireOverdue closed targets on the wall clock at the deadline, so a call started just
   * before it (a 20 s timeout) ended unknown though its outcome arrived seconds later.
   */
  @Test
  void outcomeArrivingWithinTheGraceAfterTheDeadlineIsTaken() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(T0).send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    ledger.advanceWallClock(LedgerConfig.DEFAULT_DEADLINE.plusSeconds(30));
    assertThat(ledger.results()).isEmpty();
    assertThat(ledger.ticks()).as("no deadline is past its grace: no tick").isEmpty();

    ledger.publishedOutcome(task, T0.plus(LedgerConfig.DEFAULT_DEADLINE).plusSeconds(25));

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(json(answer.value()).at("/results/0/status").asText()).isEqualTo("published");
  }

  /**
   * The ledger is down for longer than the deadline and its grace while the publisher writes the
   * outcome. Restarted, it takes that outcome although its time is past the grace: the target is
   * published, and no tick is left to close it {@code unknown}. The broker version, {@code
   * LedgerHardeningIT}'s {@code ledgerDownLongerThanTheDeadlineTakesTheOutcomesWrittenMeanwhile},
   * waits the real grace out and runs under {@code -Pcrash}.
   */
  @Test
  void outcomeWrittenWhileTheLedgerWasDownPastTheGraceIsTaken() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(T0).send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    Duration down =
        LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).plusMinutes(1);
    ledger = ledger.restart();

    ledger.publishedOutcome(task, T0.plus(down).minusSeconds(30));
    ledger.advanceWallClock(down);

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(json(answer.value()).at("/results/0/status").asText()).isEqualTo("published");
    assertThat(ledger.ticks()).as("nothing was left open: no tick closes it unknown").isEmpty();
  }

  /**
   * The deadline is closed by a tick the ledger writes to its own outcomes partition and reads
   * back, so every outcome appended before the tick is read first, however long the ledger was down
   * or behind.
   */
  @Test
  void deadlineIsClosedByATickReadBackFromTheOutcomesPartition() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(T0).send();
    single(ledger.tasks(Platform.TWITTER));
    ledger.advanceWallClock(
        LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).plusSeconds(1));

    TestRecord<String, byte[]> tick = single(ledger.ticks());
    assertThat(tick.headers().lastHeader(Inbound.TICK_HEADER)).isNotNull();
    assertThat(tick.key()).isEqualTo(Inbound.tickKey(0));
    long tickAt = json(tick.value()).get("tick").asLong();
    assertThat(tickAt)
        .isEqualTo(
            T0.plus(LedgerConfig.DEFAULT_DEADLINE)
                .plus(LedgerConfig.DEFAULT_OUTCOME_GRACE)
                .plusSeconds(1)
                .toEpochMilli());
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(json(answer.value()).at("/results/0/status").asText()).isEqualTo("unknown");

    ledger.advanceWallClock(Duration.ofMinutes(1));
    assertThat(ledger.ticks()).as("nothing is due any more: no further tick").isEmpty();
  }

  /**
   * Broke: a scheduledAt of year +999999999 parsed, then threw in DecideRequest; the processing
   * handler skipped the record and the client waited forever. Every exception while deciding is
   * answered, once, and nothing is recorded.
   */
  @Test
  void scheduledAtAtTheEndOfTimeIsAnsweredAndNotRecorded() {
    ledger
        .command(
            "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"x\","
                + "\"scheduledAt\":\"+999999999-12-31T23:59:59Z\"}")
        .key("K1")
        .request("req-1")
        .send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("400");
    assertThat(json(answer.value()).at("/error/errors/0/code").asText())
        .isEqualTo("invalid_scheduled_at");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords()).isEmpty();
    assertThat(ledger.requestEntries()).hasSize(1);

    ledger.command(body("acc_tw")).key("K1").request("req-2").send();
    assertThat(single(ledger.tasks(Platform.TWITTER)).accountId()).isEqualTo("acc_tw");
  }

  /**
   * Broke: a body near 1 MiB was repartitioned whole and its repartition record passed the
   * producer's max.request.size: RecordTooLargeException, the stream thread died on every instance
   * in turn. A body over the limit is answered 413 before it is repartitioned.
   */
  @Test
  void bodyOverTheLimitIsAnswered413AndNeverRepartitioned() {
    byte[] big = new byte[Limits.MAX_BODY_BYTES + 1];
    Arrays.fill(big, (byte) ' ');
    byte[] head = "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"x\"}".getBytes();
    System.arraycopy(head, 0, big, 0, head.length);
    ledger.command(big).key("K1").request("req-big").send();

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.key()).isEqualTo("req-big");
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("413");
    assertThat(header(answer, LmpHeaders.IDEMPOTENCY_KEY)).isEqualTo("K1");
    assertThat(json(answer.value()).at("/error/code").asText()).isEqualTo("body_too_large");
    assertThat(json(answer.value()).at("/error/message").asText())
        .contains(Integer.toString(Limits.MAX_BODY_BYTES + 1));
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords()).isEmpty();

    ledger.command(big).key("bad\tkey").request("req-big2").send();
    TestRecord<String, byte[]> second = ledger.onlyResult();
    assertThat(header(second, LmpHeaders.STATUS)).isEqualTo("413");
    assertThat(header(second, LmpHeaders.IDEMPOTENCY_KEY))
        .as("an invalid key is never echoed")
        .isNull();
  }

  /**
   * Broke: a scheduled batch kept a copy of the content in each of its pending tasks, so 25 targets
   * multiplied the text by 25 in one replay record. The content is kept once.
   */
  @Test
  void scheduledBatchKeepsItsContentOnceAndReleasesItToEveryTask() {
    String text = "é".repeat(9_000);
    StringBuilder targets = new StringBuilder();
    for (int i = 0; i < 25; i++) {
      targets.append(i == 0 ? "" : ",").append("{\"accountId\":\"acc_sb").append(i).append("\"}");
    }
    String scheduled = Rfc3339.format(T0.plus(Duration.ofHours(1)).toEpochMilli());
    ledger
        .command(
            "{\"targets\":["
                + targets
                + "],\"text\":\""
                + text
                + "\",\"firstComment\":\"first\",\"scheduledAt\":\""
                + scheduled
                + "\"}")
        .key("K1")
        .request("req-1")
        .send();
    assertThat(header(ledger.onlyResult(), LmpHeaders.STATUS)).isEqualTo("202");
    LedgerRecord record = single(ledger.replayRecords()).value;
    int size = Json.write(record).length;
    assertThat(size)
        .as("one copy of the 18 KB text, not 25")
        .isLessThan(2 * text.getBytes(StandardCharsets.UTF_8).length);

    ledger.advanceWallClock(Duration.ofHours(1));
    List<PublishTask> tasks = ledger.tasks(Platform.SANDBOX);
    assertThat(tasks).hasSize(25);
    assertThat(tasks)
        .allSatisfy(
            t -> {
              assertThat(t.text()).isEqualTo(text);
              assertThat(t.firstComment()).isEqualTo("first");
            });
  }

  /** An outcome with huge fields cannot grow the replay record past the ceiling: they are cut. */
  @Test
  void outcomeFieldsAreCutBeforeTheyAreFolded() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    String huge = "m".repeat(300_000);
    ledger.outcome(
        new TargetOutcome(
            task.taskId(),
            task.batchId(),
            task.fingerprint(),
            task.recordedAt(),
            task.targetIndex(),
            TargetOutcome.Status.failed,
            huge,
            huge,
            new TargetError(huge, huge, true)),
        T0.plusSeconds(1));
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.value().length).isLessThan(10_000);
    assertThat(json(answer.value()).at("/results/0/error/message").asText())
        .startsWith("mmm")
        .endsWith("...(300000 chars)");
  }

  /**
   * An unreadable command near the broker's limit would not fit as a dead letter once the error
   * headers are added: it keeps its first bytes and names its original length.
   */
  @Test
  void deadLetterOfAValueNearTheLimitIsCutToFit() {
    byte[] value = new byte[Limits.MAX_RECORD_BYTES];
    ledger.command(value).principal(null).request("req-x").send();
    TestRecord<byte[], byte[]> dead = single(ledger.deadLetters());
    assertThat(dead.value().length).isLessThan(Limits.MAX_RECORD_BYTES);
    assertThat(header(dead, ParseCommand.TRUNCATED_HEADER))
        .isEqualTo(Integer.toString(Limits.MAX_RECORD_BYTES));
    assertThat(header(dead, LmpHeaders.ERROR_CODE)).isEqualTo("missing_principal");
  }

  /** The window time and the broker time of a record filed late are kept apart. */
  @Test
  void tasksLocateTheirRecordByItsWindowTime() {
    ledger.advanceWallClock(Duration.ofHours(2));
    Instant old = T0;
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(old).send();
    PublishTask task = single(ledger.tasks(Platform.TWITTER));
    LedgerRecord record = single(ledger.replayRecords()).value;
    assertThat(task.recordedAt()).isEqualTo(record.filedAt());
    assertThat(record.firstSeen()).isEqualTo(old.toEpochMilli());
    ledger.publishedOutcome(task, T0.plus(Duration.ofHours(2)));
    assertThat(header(ledger.onlyResult(), LmpHeaders.STATUS)).isEqualTo("201");
  }

  /**
   * Broke (found by HostileInputProperties): an invalid idempotency key of 170,000 control
   * characters was answered 400 but stored verbatim in the request index, a million bytes once
   * JSON-escaped. An invalid key is never stored.
   */
  @Test
  void invalidHugeIdempotencyKeyIsAnsweredAndNotStored() {
    ledger
        .command(body("acc_tw"))
        .header(
            LmpHeaders.IDEMPOTENCY_KEY, "\u0001".repeat(170_000).getBytes(StandardCharsets.UTF_8))
        .request("req-1")
        .send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("400");
    assertThat(header(answer, LmpHeaders.IDEMPOTENCY_KEY)).isNull();
    assertThat(single(ledger.requestEntries()).value.idempotencyKey()).isNull();
    assertThat(Json.write(single(ledger.requestEntries()).value).length).isLessThan(10_000);
  }

  /**
   * Broke (found by HostileInputProperties): a command with record timestamp 0 made the replay
   * lookup fetch from a negative time, which the window store refuses with an exception; the record
   * was dead-lettered and the request never answered.
   */
  @Test
  void commandWithTimestampZeroIsAnswered() {
    ledger.close();
    ledger =
        withAccounts(
            new LedgerHarness(
                c ->
                    c.withReplayTtl(Duration.ofDays(30_001))
                        .withMaxCommandLag(Duration.ofDays(30_000))));
    ledger.command(body("acc_tw")).key("K1").request("req-1").at(Instant.EPOCH).send();
    single(ledger.tasks(Platform.TWITTER));
    assertThat(ledger.deadLetters()).isEmpty();
  }

  /**
   * Broke (found by HostileInputProperties): Jackson wrote a character outside the Basic
   * Multilingual Plane as two surrogate escapes, 12 bytes instead of 4, so the size budget did not
   * hold for emoji.
   */
  @Test
  void emojiAreWrittenAsTheirFourUtf8Bytes() {
    assertThat(Json.write(List.of("\uD83D\uDE00"))).hasSize(4 + 4);
  }

  /**
   * Broke: an exception while deciding (then: a scheduledAt overflowing in toEpochMilli) was
   * skipped by the processing handler and the client waited forever. Any exception is answered 500
   * internal_error, once, naming it; nothing is recorded, so a retry with the key runs.
   */
  @Test
  void exceptionWhileDecidingIsAnswered500AndTheKeyStaysFree() {
    ledger.close();
    boolean[] fail = {true};
    ledger =
        withAccounts(
            new LedgerHarness(
                c -> c,
                body -> {
                  if (fail[0]) {
                    throw new ArithmeticException("long overflow");
                  }
                  return dev.letmepost.command.Preflight.check(body);
                }));
    ledger.command(body("acc_tw")).key("K1").request("req-1").send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("500");
    assertThat(header(answer, LmpHeaders.IDEMPOTENCY_KEY)).isEqualTo("K1");
    assertThat(json(answer.value()).at("/error/code").asText()).isEqualTo("internal_error");
    assertThat(json(answer.value()).at("/error/message").asText()).contains("long overflow");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.replayRecords()).isEmpty();

    fail[0] = false;
    ledger.command(body("acc_tw")).key("K1").request("req-2").send();
    assertThat(single(ledger.tasks(Platform.TWITTER)).accountId()).isEqualTo("acc_tw");
  }
}

package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Hashing;
import dev.letmepost.command.Limits;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle events on the post-events topic (docs/contract.md#events) on a TopologyTestDriver:
 * every type with its exact bytes, key, header and record time; none for replays, conflicts and
 * invalid requests; their order within a batch; ids that do not change when a change is processed
 * again; the envelopes they carry equal to what the results topic and the batch read show.
 */
class LedgerEventsTest {
  private static final String SCHEDULED_BODY =
      "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"later\","
          + "\"scheduledAt\":\"2026-11-29T13:00:00Z\"}";

  LedgerHarness ledger;
  LedgerReads reads;

  @BeforeEach
  void setUp() {
    ledger = harness();
    reads = ledger.reads();
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  private static LedgerHarness harness() {
    return new LedgerHarness()
        .account("acc_tw", "twitter")
        .account("acc_li", "linkedin")
        .account("acc_bs", "bluesky");
  }

  private static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static String utf8(ByteString b) {
    return b.toUtf8String();
  }

  /** The batch's three tasks, in target order (twitter, linkedin, bluesky). */
  private List<PublishTask> tasks() {
    List<PublishTask> tasks = new ArrayList<>();
    tasks.addAll(ledger.tasks(Platform.TWITTER));
    tasks.addAll(ledger.tasks(Platform.LINKEDIN));
    tasks.addAll(ledger.tasks(Platform.BLUESKY));
    return tasks;
  }

  /** The envelope a batch read shows now, as GET /v1/batches/{id} answers it. */
  private String readEnvelope(String batchId) {
    return utf8(reads.batch(batchId).orElseThrow().envelope());
  }

  private static String event(
      String id, String type, String createdAt, String batchId, String data) {
    return "{\"id\":\""
        + id
        + "\",\"type\":\""
        + type
        + "\",\"createdAt\":\""
        + createdAt
        + "\",\"principal\":\""
        + PRINCIPAL
        + "\",\"batchId\":\""
        + batchId
        + "\",\"data\":"
        + data
        + "}";
  }

  private static String targetData(String batchId, int index, String target) {
    return "{\"batchId\":\""
        + batchId
        + "\",\"targetIndex\":"
        + index
        + ",\"target\":"
        + target
        + "}";
  }

  private static void assertEventRecord(
      TestRecord<String, byte[]> r, String batchId, String type, Instant at, String value) {
    assertThat(r.key()).as("key").isEqualTo(batchId);
    assertThat(header(r, PostEvents.TYPE_HEADER)).as("type header").isEqualTo(type);
    assertThat(r.headers().toArray()).as("headers").hasSize(1);
    assertThat(r.timestamp()).as("record time").isEqualTo(at.toEpochMilli());
    assertThat(utf8(r.value())).isEqualTo(value);
  }

  @Test
  void aBatchEmitsAcceptedThenOneEventPerTargetAsItClosesThenCompletedWithTheExactBytes() {
    ledger.command(body("acc_tw", "acc_li", "acc_bs", "acc_zz")).key("K1").request("req-1").send();
    List<PublishTask> tasks = tasks();
    String batchId = tasks.get(0).batchId();
    String runningEnvelope = readEnvelope(batchId);

    List<TestRecord<String, byte[]>> atAccept = ledger.events();
    assertThat(atAccept).hasSize(2);
    assertEventRecord(
        atAccept.get(0),
        batchId,
        "batch.accepted",
        T0,
        event(
            "evt_7964aa1ef312e08da978c0857a323380",
            "batch.accepted",
            "2026-11-29T12:00:00.000Z",
            batchId,
            "{\"batch\":{\"id\":\""
                + batchId
                + "\",\"object\":\"batch\",\"status\":\"running\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"results\":["
                + "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"pending\"},"
                + "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"pending\"},"
                + "{\"accountId\":\"acc_bs\",\"platform\":\"bluesky\",\"status\":\"pending\"},"
                + "{\"accountId\":\"acc_zz\",\"status\":\"failed\",\"error\":{\"code\":\"account_not_found\","
                + "\"message\":\"account 'acc_zz' not found\",\"retryable\":false}}]}}"));
    assertThat(utf8(atAccept.get(0).value()))
        .as("accepted carries the batch as the batch read shows it")
        .endsWith("\"data\":{\"batch\":" + runningEnvelope + "}}");
    assertEventRecord(
        atAccept.get(1),
        batchId,
        "target.failed",
        T0,
        event(
            "evt_6689dc72fd565412f51b7c811694192f",
            "target.failed",
            "2026-11-29T12:00:00.000Z",
            batchId,
            targetData(
                batchId,
                3,
                "{\"accountId\":\"acc_zz\",\"status\":\"failed\",\"error\":{\"code\":\"account_not_found\","
                    + "\"message\":\"account 'acc_zz' not found\",\"retryable\":false}}")));

    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    List<TestRecord<String, byte[]>> published = ledger.events();
    assertThat(published).hasSize(1);
    assertEventRecord(
        published.get(0),
        batchId,
        "target.published",
        T0.plusSeconds(1),
        event(
            "evt_36d137428e7c291e7fc47e04b96a9959",
            "target.published",
            "2026-11-29T12:00:01.000Z",
            batchId,
            targetData(
                batchId,
                0,
                "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"published\","
                    + "\"postId\":\"post-acc_tw\",\"uri\":\"sandbox://acc_tw\"}")));

    ledger.outcome(
        TargetOutcome.failed(tasks.get(1), new TargetError("rate_limited", "slow down", true)),
        T0.plusSeconds(2));
    List<TestRecord<String, byte[]>> failed = ledger.events();
    assertThat(failed).hasSize(1);
    assertEventRecord(
        failed.get(0),
        batchId,
        "target.failed",
        T0.plusSeconds(2),
        event(
            "evt_bebc6f0e3fbcdf612c1bd3ada3e7b5af",
            "target.failed",
            "2026-11-29T12:00:02.000Z",
            batchId,
            targetData(
                batchId,
                1,
                "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"failed\","
                    + "\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\",\"retryable\":true}}")));

    ledger.publishedOutcome(tasks.get(2), T0.plusSeconds(3));
    List<TestRecord<String, byte[]>> last = ledger.events();
    String answer = utf8(ledger.onlyResult().value());
    assertThat(last).hasSize(2);
    assertThat(header(last.get(0), PostEvents.TYPE_HEADER)).isEqualTo("target.published");
    assertEventRecord(
        last.get(1),
        batchId,
        "batch.completed",
        T0.plusSeconds(3),
        event(
            "evt_a6a69a19e3886b219874f144d05543e8",
            "batch.completed",
            "2026-11-29T12:00:03.000Z",
            batchId,
            "{\"batch\":" + answer + "}"));
    assertThat(answer)
        .as("the answer on the results topic")
        .isEqualTo(
            "{\"id\":\""
                + batchId
                + "\",\"object\":\"batch\",\"status\":\"partial_failed\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"completedAt\":\"2026-11-29T12:00:03.000Z\","
                + "\"results\":["
                + "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"published\",\"postId\":\"post-acc_tw\",\"uri\":\"sandbox://acc_tw\"},"
                + "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\",\"retryable\":true}},"
                + "{\"accountId\":\"acc_bs\",\"platform\":\"bluesky\",\"status\":\"published\",\"postId\":\"post-acc_bs\",\"uri\":\"sandbox://acc_bs\"},"
                + "{\"accountId\":\"acc_zz\",\"status\":\"failed\",\"error\":{\"code\":\"account_not_found\",\"message\":\"account 'acc_zz' not found\",\"retryable\":false}}]}");
    assertThat(readEnvelope(batchId)).as("GET /v1/batches/{id}").isEqualTo(answer);
    ledger.assertNothingElseEmitted();
    ledger.assertNoEvents();
  }

  @Test
  void eachTargetEventCarriesTheCompletedEnvelopesEntryForThatTarget() {
    ledger.command(body("acc_tw", "acc_li", "acc_bs")).key("K1").send();
    List<PublishTask> tasks = tasks();
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    ledger.outcome(
        TargetOutcome.unknown(tasks.get(1), "lost \u0001 answer 🎉 \ud83d"), T0.plusSeconds(2));
    ledger.outcome(
        TargetOutcome.failed(tasks.get(2), new TargetError("bad\"code", "tab\there", false)),
        T0.plusSeconds(3));
    List<TestRecord<String, byte[]>> events = ledger.events();
    String answer = utf8(ledger.onlyResult().value());

    assertThat(events)
        .extracting(r -> header(r, PostEvents.TYPE_HEADER))
        .containsExactly(
            "batch.accepted",
            "target.published",
            "target.unknown",
            "target.failed",
            "batch.completed");
    assertThat(utf8(events.get(4).value())).endsWith("\"data\":{\"batch\":" + answer + "}}");
    var results = json(answer.getBytes(StandardCharsets.UTF_8)).get("results");
    for (int i = 0; i < 3; i++) {
      String entry = utf8(Json.write(results.get(i)));
      assertThat(answer).as("the entry's bytes are the envelope's").contains(entry);
      assertThat(utf8(events.get(i + 1).value()))
          .endsWith("\"data\":" + targetData(tasks.get(0).batchId(), i, entry) + "}");
    }
  }

  @Test
  void replaysWaitersConflictsAndInvalidRequestsEmitNoEvent() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").send();
    PublishTask task = ledger.tasks(Platform.TWITTER).get(0);
    assertThat(ledger.events()).hasSize(1);

    ledger.command(body("acc_tw")).key("K1").request("req-waits").send();
    ledger.command(body("acc_li")).key("K1").request("req-conflict").send();
    ledger.command("{\"targets\":[]}").key("K2").request("req-invalid").send();
    ledger.command(body("acc_tw")).key("bad\u0001key").request("req-bad-key").send();
    ledger
        .command(body("acc_tw"))
        .key("K3")
        .header(LmpHeaders.PATH, "/v1/other".getBytes(StandardCharsets.UTF_8))
        .request("req-route")
        .send();
    assertThat(ledger.results())
        .extracting(r -> header(r, LmpHeaders.STATUS))
        .containsExactly("422", "400", "400", "404");
    ledger.assertNoEvents();

    ledger.publishedOutcome(task, T0.plusSeconds(1));
    assertThat(ledger.results()).as("the request and its waiter").hasSize(2);
    assertThat(ledger.events())
        .extracting(r -> header(r, PostEvents.TYPE_HEADER))
        .as("a waiter's answer is no state change of its own")
        .containsExactly("target.published", "batch.completed");

    ledger.command(body("acc_tw")).key("K1").request("req-replay").send();
    ledger.command(body("acc_li")).key("K1").request("req-conflict-2").send();
    ledger.publishedOutcome(task, T0.plusSeconds(2));
    assertThat(ledger.results())
        .extracting(r -> header(r, LmpHeaders.STATUS))
        .containsExactly("201", "422");
    ledger.assertNoEvents();
    ledger.assertNothingElseEmitted();
  }

  @Test
  void aScheduledBatchEmitsAcceptedAndScheduledAtOnceAndTheRestWhenItRuns() {
    ledger.command(SCHEDULED_BODY).key("K2").request("req-1").send();
    String accepted202 = utf8(ledger.onlyResult().value());
    List<TestRecord<String, byte[]>> now = ledger.events();
    String batchId = now.get(0).key();
    assertThat(now).hasSize(2);
    assertEventRecord(
        now.get(0),
        batchId,
        "batch.accepted",
        T0,
        event(
            "evt_cdbc14109c5479864ea8e9b4676b9921",
            "batch.accepted",
            "2026-11-29T12:00:00.000Z",
            batchId,
            "{\"batch\":" + accepted202 + "}"));
    assertEventRecord(
        now.get(1),
        batchId,
        "batch.scheduled",
        T0,
        event(
            "evt_652b293ca592b34d6d6b10487c969851",
            "batch.scheduled",
            "2026-11-29T12:00:00.000Z",
            batchId,
            "{\"batch\":" + accepted202 + "}"));
    assertThat(accepted202)
        .isEqualTo(
            "{\"id\":\""
                + batchId
                + "\",\"object\":\"batch\",\"status\":\"scheduled\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"scheduledAt\":\"2026-11-29T13:00:00.000Z\","
                + "\"results\":[{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"scheduled\"}]}");

    ledger.command(SCHEDULED_BODY).key("K2").request("req-2").send();
    ledger.advanceWallClock(Duration.ofHours(1));
    assertThat(ledger.results()).as("the retry's replay").hasSize(1);
    ledger.assertNoEvents();
    PublishTask task = ledger.tasks(Platform.TWITTER).get(0);

    Instant published = Instant.parse("2026-11-29T13:00:04Z");
    ledger.publishedOutcome(task, published);
    List<TestRecord<String, byte[]>> later = ledger.events();
    assertThat(later).hasSize(2);
    assertEventRecord(
        later.get(0),
        batchId,
        "target.published",
        published,
        event(
            "evt_898ae39af607211e2778eb88c1a479cd",
            "target.published",
            "2026-11-29T13:00:04.000Z",
            batchId,
            targetData(
                batchId,
                0,
                "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"published\","
                    + "\"postId\":\"post-acc_tw\",\"uri\":\"sandbox://acc_tw\"}")));
    String completed =
        "{\"id\":\""
            + batchId
            + "\",\"object\":\"batch\",\"status\":\"published\","
            + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"scheduledAt\":\"2026-11-29T13:00:00.000Z\","
            + "\"completedAt\":\"2026-11-29T13:00:04.000Z\","
            + "\"results\":[{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"published\","
            + "\"postId\":\"post-acc_tw\",\"uri\":\"sandbox://acc_tw\"}]}";
    assertEventRecord(
        later.get(1),
        batchId,
        "batch.completed",
        published,
        event(
            "evt_f9473364007ff869c3cec28808e8e770",
            "batch.completed",
            "2026-11-29T13:00:04.000Z",
            batchId,
            "{\"batch\":" + completed + "}"));
    assertThat(readEnvelope(batchId))
        .as("a scheduled batch's final envelope is what its read shows (its answer stays the 202)")
        .isEqualTo(completed);
    ledger.assertNothingElseEmitted();
  }

  @Test
  void aTargetClosedAtItsDeadlineEmitsTargetUnknownAtTheTicksTime() {
    ledger.command(body("acc_tw", "acc_li")).key("K1").send();
    List<PublishTask> tasks = tasks();
    String batchId = tasks.get(0).batchId();
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    assertThat(ledger.events()).hasSize(2);

    Duration overdue = LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE);
    ledger.advanceWallClock(overdue.minusSeconds(1));
    ledger.assertNoEvents();
    ledger.advanceWallClock(Duration.ofSeconds(1));
    Instant tick = T0.plus(overdue);

    List<TestRecord<String, byte[]>> closed = ledger.events();
    String answer = utf8(ledger.onlyResult().value());
    assertThat(closed).hasSize(2);
    assertEventRecord(
        closed.get(0),
        batchId,
        "target.unknown",
        tick,
        event(
            PostEvents.id(batchId, "target.unknown", 1),
            "target.unknown",
            "2026-11-29T12:07:00.000Z",
            batchId,
            targetData(
                batchId,
                1,
                "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"unknown\","
                    + "\"error\":{\"code\":\"outcome_unknown\",\"message\":\"no outcome arrived by the"
                    + " deadline 2026-11-29T12:05:00.000Z; the post may or may not exist on the"
                    + " platform: check before posting again\"}}")));
    assertEventRecord(
        closed.get(1),
        batchId,
        "batch.completed",
        tick,
        event(
            PostEvents.id(batchId, "batch.completed", null),
            "batch.completed",
            "2026-11-29T12:07:00.000Z",
            batchId,
            "{\"batch\":" + answer + "}"));

    ledger.publishedOutcome(tasks.get(1), tick.plusSeconds(1));
    ledger.assertNoEvents();
  }

  @Test
  void aBatchWhoseTargetsAllFailBeforePublishingEmitsItsWholeLifeAtOnce() {
    ledger.command(body("acc_zz", "acc_yy")).key("K1").send();
    String answer = utf8(ledger.onlyResult().value());
    List<PostEvent> events = ledger.eventValues();
    assertThat(events)
        .extracting(PostEvent::type)
        .containsExactly("batch.accepted", "target.failed", "target.failed", "batch.completed");
    assertThat(events).extracting(PostEvent::createdAt).containsOnly("2026-11-29T12:00:00.000Z");
    assertThat(events.get(0).data().at("/batch/status").asText()).isEqualTo("running");
    assertThat(events.get(1).data().get("targetIndex").asInt()).isZero();
    assertThat(events.get(2).data().get("targetIndex").asInt()).isEqualTo(1);
    assertThat(utf8(Json.write(events.get(3).data().get("batch")))).isEqualTo(answer);
    assertThat(ledger.allTasks()).isEmpty();
  }

  @Test
  void theIdIsTheDocumentedHashOfBatchTypeAndTarget() {
    String batchId = "batch_01M8KJT9G01K2N192X1Z0D3KC1";
    assertThat(PostEvents.id(batchId, "target.failed", 3))
        .isEqualTo(
            "evt_"
                + Hashing.hex(Hashing.lengthPrefixed("lmp-event", batchId, "target.failed", "3"))
                    .substring(0, 32))
        .isEqualTo("evt_6689dc72fd565412f51b7c811694192f");
    assertThat(PostEvents.id(batchId, "batch.completed", null))
        .isEqualTo(
            "evt_"
                + Hashing.hex(Hashing.lengthPrefixed("lmp-event", batchId, "batch.completed", ""))
                    .substring(0, 32));
    assertThat(PostEvents.id(batchId, "target.failed", 0))
        .isNotEqualTo(PostEvents.id(batchId, "target.failed", 1))
        .isNotEqualTo(PostEvents.id(batchId, "target.unknown", 0))
        .isNotEqualTo(PostEvents.id("batch_other", "target.failed", 0));
  }

  /**
   * What an aborted transaction or a crash before commit does: the same inputs are processed again
   * from the last committed state. A second ledger fed the same records writes the same events,
   * byte for byte, so a consumer deduplicating by id sees each change once.
   */
  @Test
  void eventsOfAStateChangeProcessedAgainAreByteIdentical() {
    List<String> first = runScenario(ledger);
    try (LedgerHarness again = harness()) {
      assertThat(runScenario(again)).isEqualTo(first);
    }
    assertThat(first).hasSize(6);
  }

  private static List<String> runScenario(LedgerHarness l) {
    l.command(body("acc_tw", "acc_li")).key("K1").send();
    l.command(SCHEDULED_BODY).key("K2").send();
    List<PublishTask> tasks = l.allTasks();
    l.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    l.outcome(
        TargetOutcome.failed(tasks.get(1), new TargetError("server_error", "500", true)),
        T0.plusSeconds(2));
    List<String> out = new ArrayList<>();
    for (TestRecord<String, byte[]> r : l.events()) {
      out.add(r.key() + " " + r.timestamp() + " " + utf8(r.value()));
    }
    return out;
  }

  @Test
  void eachBatchsEventsAreKeyedByItsIdAndOrderedAcceptedTargetsCompletedWhenBatchesInterleave() {
    ledger.command(body("acc_tw", "acc_li")).key("A").send();
    ledger.command(body("acc_tw", "acc_bs")).key("B").send();
    List<PublishTask> tasks = ledger.allTasks();
    Map<String, List<PublishTask>> byBatch = new LinkedHashMap<>();
    tasks.forEach(t -> byBatch.computeIfAbsent(t.batchId(), b -> new ArrayList<>()).add(t));
    assertThat(byBatch).hasSize(2);
    List<List<PublishTask>> batches = new ArrayList<>(byBatch.values());
    ledger.publishedOutcome(batches.get(1).get(0), T0.plusSeconds(1));
    ledger.publishedOutcome(batches.get(0).get(1), T0.plusSeconds(2));
    ledger.publishedOutcome(batches.get(1).get(1), T0.plusSeconds(3));
    ledger.publishedOutcome(batches.get(0).get(0), T0.plusSeconds(4));

    Map<String, List<PostEvent>> perKey = new LinkedHashMap<>();
    for (TestRecord<String, byte[]> r : ledger.events()) {
      PostEvent e = Json.read(r.value(), PostEvent.class);
      assertThat(r.key()).isEqualTo(e.batchId());
      perKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(e);
    }
    assertThat(perKey.keySet()).containsExactlyInAnyOrderElementsOf(byBatch.keySet());
    for (List<PostEvent> events : perKey.values()) {
      assertThat(events)
          .extracting(PostEvent::type)
          .containsExactly(
              "batch.accepted", "target.published", "target.published", "batch.completed");
      assertThat(events).extracting(PostEvent::id).doesNotHaveDuplicates();
      assertThat(events).extracting(PostEvent::createdAt).isSorted();
    }
  }

  /**
   * The examples of docs/contract.md#event-examples are real: every line of its JSON blocks is an
   * event this scenario writes, byte for byte, and together they show every type.
   */
  @Test
  void theContractsEventExamplesAreWhatTheLedgerWrites() throws java.io.IOException {
    ledger.command(body("acc_tw", "acc_li", "acc_bs")).key("K1").send();
    List<PublishTask> tasks = tasks();
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    ledger.outcome(
        TargetOutcome.failed(tasks.get(1), new TargetError("rate_limited", "slow down", true)),
        T0.plusSeconds(2));
    ledger.command(SCHEDULED_BODY).key("K2").send();
    ledger.advanceWallClock(LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE));
    List<String> written = ledger.events().stream().map(r -> utf8(r.value())).toList();

    String contract = java.nio.file.Files.readString(java.nio.file.Path.of("docs/contract.md"));
    String section =
        contract.substring(
            contract.indexOf("<!-- event-examples:start -->"),
            contract.indexOf("<!-- event-examples:end -->"));
    List<String> examples = section.lines().filter(l -> l.startsWith("{")).toList();
    assertThat(examples).allSatisfy(line -> assertThat(written).contains(line));
    assertThat(examples)
        .extracting(l -> json(l.getBytes(StandardCharsets.UTF_8)).get("type").asText())
        .containsExactlyInAnyOrder(
            "batch.accepted",
            "batch.scheduled",
            "target.published",
            "target.failed",
            "target.unknown",
            "batch.completed");
  }

  /**
   * The size budget (docs/contract.md#events): the largest batch (25 targets, account ids at their
   * limit), every outcome field at its cut length in characters that serialize to 6 bytes each.
   * Every event stays under the record ceiling; the largest, batch.completed, is its answer's
   * envelope plus less than 2 KB, about 0.56 MB here against the worst case of 0.58 MB that
   * PostEvents computes.
   */
  @Test
  void theLargestEventsStayUnderTheRecordCeiling() {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < Preflight.MAX_TARGETS; i++) {
      String id = String.format("acc_%03d_", i) + "a".repeat(Limits.MAX_ACCOUNT_ID_CHARS - 8);
      ledger.account(
          new Account(id, PRINCIPAL, "sandbox", null, Account.Status.connected, null, false));
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"").append(id).append("\"}");
    }
    ledger.command(b.append("],\"text\":\"x\"}").toString()).key("K1").send();
    List<PublishTask> tasks = ledger.tasks(Platform.SANDBOX);
    assertThat(tasks).hasSize(Preflight.MAX_TARGETS);
    String wide = "\u0001".repeat(5_000);
    for (PublishTask t : tasks) {
      ledger.outcome(
          new TargetOutcome(
              t.taskId(),
              t.batchId(),
              t.fingerprint(),
              t.recordedAt(),
              t.targetIndex(),
              TargetOutcome.Status.failed,
              wide,
              wide,
              new TargetError(wide, wide, true)),
          T0.plusSeconds(1));
    }
    byte[] answer = ledger.onlyResult().value();
    List<TestRecord<String, byte[]>> events = ledger.events();
    assertThat(events).hasSize(2 + tasks.size());
    for (TestRecord<String, byte[]> r : events) {
      assertThat(r.value().length).isLessThan(Limits.MAX_RECORD_BYTES);
    }
    byte[] completed = events.get(events.size() - 1).value();
    assertThat(completed.length)
        .isGreaterThan(answer.length)
        .isLessThan(answer.length + 2_048)
        .isBetween(500_000, 600_000);
  }
}

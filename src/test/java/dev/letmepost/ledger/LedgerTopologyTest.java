package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Account;
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

/** The ledger's idempotency table (DESIGN.md section 4), row by row, on a TopologyTestDriver. */
class LedgerTopologyTest {
  private static final Duration TTL = Duration.ofHours(24);
  LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger = new LedgerHarness()
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
    ledger.outcome(TargetOutcome.failed(tasks.get(2), new TargetError("rate_limited", "slow down", true)), T0.plusSeconds(3));

    TestRecord<String, byte[]> answer = ledger.onlyResult();
    assertThat(answer.key()).isEqualTo("req-1");
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("207");
    assertThat(header(answer, LmpHeaders.REPLAYED)).isEqualTo("false");
    assertThat(header(answer, LmpHeaders.IDEMPOTENCY_KEY)).isEqualTo("K1");
    assertThat(header(answer, LmpHeaders.BATCH_ID)).isEqualTo(tw.batchId());
    assertThat(header(answer, LmpHeaders.KEY_EXPIRES)).isEqualTo("2026-11-30T12:00:00.000Z");
    assertThat(new String(answer.value(), StandardCharsets.UTF_8)).isEqualTo(
        "{\"id\":\"" + tw.batchId() + "\",\"object\":\"batch\",\"status\":\"partial_failed\","
            + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"completedAt\":\"2026-11-29T12:00:03.000Z\","
            + "\"results\":["
            + "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"published\",\"postId\":\"post-acc_tw\",\"uri\":\"sandbox://acc_tw\"},"
            + "{\"accountId\":\"acc_li\",\"platform\":\"linkedin\",\"status\":\"published\",\"postId\":\"post-acc_li\",\"uri\":\"sandbox://acc_li\"},"
            + "{\"accountId\":\"acc_bs\",\"platform\":\"bluesky\",\"status\":\"failed\",\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\",\"retryable\":true}}]}");
    ledger.assertNothingElseEmitted();

    var records = ledger.replayRecords();
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key).isEqualTo(T0.toEpochMilli());
    assertThat(records.get(0).value.response()).isEqualTo(answer.value());
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
}

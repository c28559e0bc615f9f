package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Limits;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The size of the replay record as the store writes it to its changelog, in the worst case. */
class ReplayRecordSizeTest {
  private final LedgerHarness ledger = new LedgerHarness();

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /**
   * Regression: a 25-target batch whose every outcome field is at its cut length in control
   * characters serialized to 1,296,867 bytes as JSON (each U+0001 a 6-byte backslash-u escape, in
   * the target states and again in the base64 of the recorded envelope that holds the same
   * escapes), over {@link Limits#MAX_RECORD_BYTES} and the producer's 1 MiB: its changelog write
   * was skipped by {@link OversizeGuard}, so a restore lost the batch's latest state. Built the way
   * {@code LedgerEventsTest.theLargestEventsStayUnderTheRecordCeiling} builds its worst case.
   */
  @Test
  void worstCaseReplayRecordFitsUnderTheRecordCeiling() {
    runWorstCaseBatch();
    assertLargestChangelogValueUnderTheCeiling();
  }

  /**
   * The worst-case batch, every target failed retryable, retried (a retry batch of 25 targets with
   * the same content, each failing again at its cut length), then retried again under other keys
   * (refused, naming the retry batch): a batch lists at most one retry, so no record grows past the
   * ceiling however often its retry is re-sent (issue 18, item 1).
   */
  @Test
  void aWorstCaseBatchRetriedAndItsRefusedRetriesStayUnderTheRecordCeiling() {
    String id = LedgerHarness.header(runWorstCaseBatch(), dev.letmepost.wire.LmpHeaders.BATCH_ID);
    retry(id, "K-r1");
    List<PublishTask> tasks = ledger.tasks(Platform.SANDBOX);
    assertThat(tasks).hasSize(Preflight.MAX_TARGETS);
    failWide(tasks);
    assertThat(ledger.onlyResult().value()).isNotEmpty();
    for (int i = 2; i < 50; i++) {
      retry(id, "K-r" + i);
      assertThat(LedgerHarness.header(ledger.onlyResult(), dev.letmepost.wire.LmpHeaders.STATUS))
          .isEqualTo("409");
    }
    assertThat(ledger.tasks(Platform.SANDBOX)).isEmpty();
    assertLargestChangelogValueUnderTheCeiling();
  }

  private void retry(String batchId, String key) {
    ledger
        .command("")
        .header(
            dev.letmepost.wire.LmpHeaders.METHOD,
            "POST".getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .header(
            dev.letmepost.wire.LmpHeaders.PATH,
            ("/v1/batches/" + batchId + "/retry").getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .key(key)
        .at(T0.plusSeconds(10))
        .send();
  }

  private void failWide(List<PublishTask> tasks) {
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
  }

  private void assertLargestChangelogValueUnderTheCeiling() {
    List<byte[]> changelog = ledger.replayChangelog();
    assertThat(changelog).isNotEmpty();
    int largest = changelog.stream().mapToInt(v -> v.length).max().orElseThrow();
    assertThat(largest)
        .as("largest replay-record changelog value")
        .isLessThan(Limits.MAX_RECORD_BYTES);
  }

  /** Runs the worst-case batch to its end; its answer. */
  private org.apache.kafka.streams.test.TestRecord<String, byte[]> runWorstCaseBatch() {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < Preflight.MAX_TARGETS; i++) {
      String id = String.format("acc_%03d_", i) + "a".repeat(Limits.MAX_ACCOUNT_ID_CHARS - 8);
      ledger.account(
          new Account(id, PRINCIPAL, "sandbox", null, Account.Status.connected, null, false));
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"").append(id).append("\"}");
    }
    // The content every batch keeps (a retry needs it), at the sandbox's bounds in 4-byte
    // characters: text, first comment, and 10 media with the longest URL and alt text.
    String emoji = "\uD83D\uDE00";
    b.append("],\"text\":\"").append(emoji.repeat(10_000)).append('"');
    b.append(",\"firstComment\":\"").append(emoji.repeat(Limits.MAX_FIRST_COMMENT_CODE_POINTS));
    b.append("\",\"media\":[");
    for (int m = 0; m < Preflight.MAX_MEDIA; m++) {
      String url = "https://media.example/" + m + "/";
      b.append(m == 0 ? "" : ",")
          .append("{\"url\":\"")
          .append(url)
          .append("a".repeat(Limits.MAX_URL_CHARS - url.length()))
          .append("\",\"altText\":\"")
          .append(emoji.repeat(Limits.MAX_ALT_TEXT_CODE_POINTS))
          .append("\"}");
    }
    String body = b.append("]}").toString();
    assertThat(body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(Limits.MAX_BODY_BYTES);
    ledger.command(body).key("K1").send();
    List<PublishTask> tasks = ledger.tasks(Platform.SANDBOX);
    assertThat(tasks).hasSize(Preflight.MAX_TARGETS);
    failWide(tasks);
    org.apache.kafka.streams.test.TestRecord<String, byte[]> done = ledger.onlyResult();
    assertThat(done.value()).isNotEmpty();
    LedgerRecord stored = ledger.replayRecords().get(0).value;
    assertThat(stored.complete()).isTrue();
    assertThat(stored.targets())
        .allSatisfy(s -> assertThat(s.postId()).hasSizeGreaterThan(Limits.MAX_POST_ID_CHARS));
    return done;
  }
}

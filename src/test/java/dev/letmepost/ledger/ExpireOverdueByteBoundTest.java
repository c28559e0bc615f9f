package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Limits;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PublishTask;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The wall-clock work of one punctuation or tick is bounded by the bytes it writes ({@link
 * ExpireOverdue#MAX_BYTES_PER_CALL}), not only by the number of batches, and the rest is carried
 * over, nothing lost or done twice.
 */
class ExpireOverdueByteBoundTest {
  static final Instant DUE = T0.plus(Duration.ofMinutes(1));

  LedgerHarness ledger;
  final List<String> accounts = new ArrayList<>();

  @BeforeEach
  void setUp() {
    ledger = new LedgerHarness();
    for (int i = 0; i < Preflight.MAX_TARGETS; i++) {
      String id = String.format("acc_%03d_", i) + "a".repeat(Limits.MAX_ACCOUNT_ID_CHARS - 8);
      ledger.account(
          new Account(id, PRINCIPAL, "sandbox", null, Account.Status.connected, null, false));
      accounts.add(id);
    }
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /**
   * Broke (issue 18, item 10, after the count bound): one tenant schedules a few posts of 25
   * targets with the largest content for the same minute. At release each batch copies its content
   * into 25 tasks (about 4.5 MB a batch), and the punctuation, bounded only at 500 batches,
   * released all of them in one transaction: with enough such batches gigabytes against the 5 s
   * transaction timeout; the transaction times out, the task is fenced, the timer deletes are
   * restored, the same batches are due again, and the partition livelocks with every other tenant's
   * commands on it. Now a punctuation stops after the batch that takes its bytes past 8 MiB; the
   * next ones release the rest.
   */
  @Test
  void aPunctuationReleasesLargeScheduledBatchesWithinTheByteBudget() {
    int batches = 6;
    String body = largestBody(",\"scheduledAt\":\"" + DUE + "\"");
    for (int i = 0; i < batches; i++) {
      ledger.command(body).key("big-" + i).request("req-" + i).send();
    }
    assertThat(ledger.results()).hasSize(batches);
    assertThat(ledger.allTasks()).isEmpty();

    ledger.advanceWallClock(Duration.ofMinutes(1));
    List<PublishTask> first = ledger.allTasks();
    Map<String, Long> bytesPerBatch = new HashMap<>();
    for (PublishTask t : first) {
      bytesPerBatch.merge(t.batchId(), bytes(t), Long::sum);
    }
    long largestBatch = bytesPerBatch.values().stream().mapToLong(Long::longValue).max().orElse(0);
    long firstBytes = bytesPerBatch.values().stream().mapToLong(Long::longValue).sum();
    assertThat(firstBytes)
        .as("bytes of the tasks the first punctuation released")
        .isLessThanOrEqualTo(ExpireOverdue.MAX_BYTES_PER_CALL + largestBatch);
    assertThat(bytesPerBatch.size()).isBetween(1, batches - 1);

    List<PublishTask> all = new ArrayList<>(first);
    for (int i = 0; i < batches; i++) {
      ledger.advanceWallClock(Duration.ofSeconds(1));
      List<PublishTask> next = ledger.allTasks();
      assertThat(next.stream().mapToLong(ExpireOverdueByteBoundTest::bytes).sum())
          .isLessThanOrEqualTo(ExpireOverdue.MAX_BYTES_PER_CALL + largestBatch);
      all.addAll(next);
    }
    assertThat(all).hasSize(batches * Preflight.MAX_TARGETS);
    assertThat(all.stream().map(PublishTask::taskId).distinct()).hasSize(all.size());
    assertThat(all.stream().map(PublishTask::batchId).distinct()).hasSize(batches);
    assertThat(ledger.timers()).hasSize(batches).allMatch(k -> k.startsWith("d|"));
  }

  /**
   * The same for closing: overdue batches of 25 long-named targets, each with 16 waiting retries,
   * send their final envelope to the request and each waiter, plus an event per target and one with
   * the envelope. A tick bounded only at 500 batches wrote all of them in one transaction; now a
   * tick stops after the batch that takes its bytes past 8 MiB, each punctuation that still finds
   * one overdue writes the next tick, and every request and waiter is answered once.
   */
  @Test
  void aTickClosesOverdueBatchesWithLargeEnvelopesWithinTheByteBudget() {
    int batches = 60;
    String body = smallBody();
    for (int i = 0; i < batches; i++) {
      ledger.command(body).key("now-" + i).request("req-" + i).send();
      for (int w = 0; w < LedgerConfig.DEFAULT_MAX_WAITERS; w++) {
        ledger.command(body).key("now-" + i).request("req-" + i + "-w" + w).send();
      }
    }
    assertThat(ledger.allTasks()).hasSize(batches * Preflight.MAX_TARGETS);
    ledger.events();
    ledger.advanceWallClock(
        LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE).minusSeconds(1));
    assertThat(ledger.results()).isEmpty();

    Set<String> answered = new HashSet<>();
    List<Long> bytesPerTick = new ArrayList<>();
    long largestBatch = 0;
    for (int tick = 0; tick < 10; tick++) {
      ledger.advanceWallClock(Duration.ofSeconds(1));
      Map<String, Long> perBatch = new HashMap<>();
      for (TestRecord<String, byte[]> r : ledger.results()) {
        assertThat(answered.add(r.key())).as("answered once: " + r.key()).isTrue();
        assertThat(json(r.value()).at("/results/0/status").asText()).isEqualTo("unknown");
        perBatch.merge(
            LedgerHarness.header(r, LmpHeaders.BATCH_ID), (long) r.value().length, Long::sum);
      }
      for (TestRecord<String, byte[]> e : ledger.events()) {
        perBatch.merge(e.key(), (long) e.value().length, Long::sum);
      }
      for (long b : perBatch.values()) {
        largestBatch = Math.max(largestBatch, b);
      }
      bytesPerTick.add(perBatch.values().stream().mapToLong(Long::longValue).sum());
    }

    assertThat(answered).hasSize(batches * (1 + LedgerConfig.DEFAULT_MAX_WAITERS));
    assertThat(ledger.timers()).isEmpty();
    long bound = ExpireOverdue.MAX_BYTES_PER_CALL + largestBatch;
    assertThat(bytesPerTick).allMatch(b -> b <= bound, "each tick within " + bound + " bytes");
    assertThat(bytesPerTick.get(0)).as("the first tick closed some, not all").isPositive();
    assertThat(bytesPerTick.stream().filter(b -> b > 0).count()).isGreaterThan(1);
  }

  /**
   * The byte budget holds only if the estimate never falls below what is written: each kind of
   * character a content string may hold is counted at least at its length in the written JSON.
   */
  @Test
  void theByteEstimateOfAStringIsNeverBelowItsWrittenJson() {
    for (String s :
        List.of(
            "",
            "plain ascii",
            "quote \" and backslash \\",
            "\u0000\u0001\n\t\u001f control",
            "\u00e9\u00fc two-byte",
            "\u4e2d\u6587 three-byte",
            "\uD83D\uDE00 a pair",
            "lone high \uD83D",
            "\uDE00 lone low",
            "\uDE00\uD83D reversed",
            "\u2028\u2029 separators")) {
      assertThat(Batches.jsonBytes(s))
          .as("estimate of %s", s)
          .isGreaterThanOrEqualTo(Json.write(s).length - 2L);
    }
  }

  /**
   * 25 targets and the sandbox's largest content in 4-byte characters: text, first comment, and 10
   * media with the longest URL and alt text (as ReplayRecordSizeTest).
   */
  private String largestBody(String extra) {
    StringBuilder b = targets();
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
    String body = b.append(']').append(extra).append('}').toString();
    assertThat(body.getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(Limits.MAX_BODY_BYTES);
    return body;
  }

  private String smallBody() {
    return targets().append("],\"text\":\"shipped\"}").toString();
  }

  private StringBuilder targets() {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < accounts.size(); i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"").append(accounts.get(i)).append("\"}");
    }
    return b;
  }

  /** A task's value bytes as the platform topic's serde writes them. */
  private static long bytes(PublishTask task) {
    return Json.write(task).length;
  }
}

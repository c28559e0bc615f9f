package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Hashing;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's read side over the ledger's stores ({@link LedgerReads}) on a TopologyTestDriver:
 * the request index, the batch index and the live replay record agree with what the results topic
 * carried.
 */
class LedgerReadsTest {
  private LedgerHarness ledger;
  private LedgerReads reads;

  @BeforeEach
  void setUp() {
    ledger = new LedgerHarness().account("acc_tw", "twitter").account("acc_bs", "bluesky");
    reads = ledger.reads();
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  private static String fingerprint(String principal, String key) {
    return Hashing.fingerprint(principal, LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, key);
  }

  @Test
  void runningBatchReadsAsPendingAndItsRequestWaits() {
    ledger.command(body("acc_tw", "acc_bs")).key("K1").request("req-1").send();
    PublishTask tw = ledger.tasks(Platform.TWITTER).get(0);

    BatchView batch = reads.batch(tw.batchId()).orElseThrow();
    assertThat(batch.state()).isEqualTo("running");
    assertThat(batch.answered()).isFalse();
    assertThat(batch.requestId()).isEqualTo("req-1");
    assertThat(batch.principal()).isEqualTo(LedgerHarness.PRINCIPAL);
    assertThat(batch.expiresAt()).isEqualTo(T0.plus(Duration.ofHours(24)));
    assertThat(batch.envelope().toUtf8String())
        .isEqualTo(
            "{\"id\":\""
                + tw.batchId()
                + "\",\"object\":\"batch\",\"status\":\"running\",\"createdAt\":\"2026-11-29T12:00:00.000Z\","
                + "\"results\":[{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"pending\"},"
                + "{\"accountId\":\"acc_bs\",\"platform\":\"bluesky\",\"status\":\"pending\"}]}");

    RequestView request = reads.request("req-1").orElseThrow();
    assertThat(request.pending()).isTrue();
    assertThat(request.batchId()).isEqualTo(tw.batchId());
    assertThat(reads.liveRecord(fingerprint(LedgerHarness.PRINCIPAL, "K1"), T0))
        .get()
        .extracting(BatchView::batchId)
        .isEqualTo(tw.batchId());
  }

  @Test
  void completedBatchRequestAndReplayAllReadTheBytesTheResultsTopicCarried() {
    ledger.command(body("acc_tw", "acc_bs")).key("K1").request("req-1").send();
    List<PublishTask> tasks = ledger.allTasks();
    tasks.forEach(t -> ledger.publishedOutcome(t, T0.plusSeconds(1)));
    TestRecord<String, byte[]> first = ledger.onlyResult();
    ledger.command(body("acc_tw", "acc_bs")).key("K1").request("req-2").send();
    TestRecord<String, byte[]> replay = ledger.onlyResult();

    BatchView batch = reads.batch(header(first, LmpHeaders.BATCH_ID)).orElseThrow();
    assertThat(batch.state()).isEqualTo("published");
    assertThat(batch.response()).isEqualTo(ByteString.copyOf(first.value()));
    assertThat(batch.envelope())
        .as("the live view of a done batch")
        .isEqualTo(ByteString.copyOf(first.value()));
    assertThat(batch.responseStatus()).isEqualTo(201);

    RequestView r1 = reads.request("req-1").orElseThrow();
    assertThat(r1.status()).isEqualTo(201);
    assertThat(r1.replayed()).isFalse();
    assertThat(r1.body()).isEqualTo(ByteString.copyOf(first.value()));
    assertThat(r1.keyExpires().toString())
        .isEqualTo(Instant.parse(header(first, LmpHeaders.KEY_EXPIRES)).toString());
    RequestView r2 = reads.request("req-2").orElseThrow();
    assertThat(r2.replayed()).isTrue();
    assertThat(r2.body()).isEqualTo(ByteString.copyOf(replay.value()));

    BatchView live =
        reads
            .liveRecord(fingerprint(LedgerHarness.PRINCIPAL, "K1"), T0.plus(Duration.ofHours(2)))
            .orElseThrow();
    assertThat(live.response()).isEqualTo(ByteString.copyOf(first.value()));
    assertThat(live.bodySha256())
        .isEqualTo(Hashing.sha256Hex(body("acc_tw", "acc_bs").getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void errorAnswersAreIndexedWithTheirBytesAndUnknownIdsAreEmpty() {
    ledger.command("{\"targets\":[]}").key("K2").request("req-bad").send();
    TestRecord<String, byte[]> answer = ledger.onlyResult();

    RequestView r = reads.request("req-bad").orElseThrow();
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).isEqualTo(ByteString.copyOf(answer.value()));
    assertThat(r.batchId()).isNull();
    assertThat(reads.request("req-nope")).isEmpty();
    assertThat(reads.batch("batch_00000000000000000000000000")).isEmpty();
    assertThat(reads.liveRecord(fingerprint(LedgerHarness.PRINCIPAL, "K2"), T0))
        .as("a preflight failure records nothing")
        .isEmpty();
  }

  @Test
  void replayRecordIsNotLiveOnceItsTtlHasPassed() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").send();
    String fp = fingerprint(LedgerHarness.PRINCIPAL, "K1");
    Duration ttl = ledger.config.replayTtl();

    assertThat(reads.liveRecord(fp, T0.plus(ttl).minusMillis(1))).isPresent();
    assertThat(reads.liveRecord(fp, T0.plus(ttl))).isEmpty();
  }

  /**
   * A replay record or batch id is read from its key's partition alone ({@link LedgerReads#of}):
   * when this instance does not host that partition, Kafka Streams throws, and the look-up must
   * read as "not here" (the gateway then forwards or goes through Kafka), not fail the request.
   */
  @Test
  void aKeyInAPartitionThisInstanceDoesNotHostReadsAsNothing() {
    LedgerStores.Window<LedgerRecord> notHosted =
        LedgerStores.Window.queried(
            key -> {
              throw new org.apache.kafka.streams.errors.InvalidStateStorePartitionException(
                  "The specified partition 4 for store replay-records does not exist.");
            });
    assertThat(notHosted.fetch("f1", 0L)).isNull();
    try (org.apache.kafka.streams.state.WindowStoreIterator<LedgerRecord> it =
        notHosted.fetch("f1", 0L, Long.MAX_VALUE)) {
      assertThat(it.hasNext()).isFalse();
    }
  }
}

package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.TargetOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.serialization.Serde;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The ledger's per-record work on its replay record: the record's serde (the replay store's, {@link
 * ReplayRecordCodec}), folding one outcome into a running batch as {@code FoldOutcome} does (read the
 * record, set the target, write it back), folding the last outcome (which also renders the
 * envelope and records the answer), and rendering an envelope. A three-target batch.
 *
 * <pre>
 * ./mvnw -B -ntp -Pjmh -DskipTests test-compile exec:exec
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LedgerBenchmarks {
  private static final String TOPIC = "bench.ledger-replay-records-changelog";
  private final Serde<LedgerRecord> serde = ReplayRecordCodec.serde();
  private LedgerRecord replay;
  private byte[] replayBytes;
  private byte[] runningBytes;
  private byte[] lastOpenBytes;

  @Setup
  public void setUp() {
    long t = 1_764_590_400_000L;
    List<LedgerRecord.TargetState> open = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      open.add(
          new LedgerRecord.TargetState(
              "acc_bench_" + i,
              List.of("twitter", "linkedin", "bluesky").get(i),
              "task_01M8KSFCF4C5ZZF7X93DSS21N" + i,
              null,
              null,
              null,
              null));
    }
    LedgerRecord running =
        LedgerRecord.builder()
            .batchId("batch_01M8KSFCF4C5ZZF7X93DSS21NN")
            .requestId("req-first-17")
            .principal("key_bench")
            .idempotencyKey("first-17")
            .bodySha256("9f2c0a4c7e1b5d8a3f6e2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e")
            .firstSeen(t)
            .filedAt(t)
            .deadline(t + 300_000)
            .targets(open)
            .build();
    runningBytes = serde.serializer().serialize(TOPIC, running);
    LedgerRecord lastOpen = running.withTarget(0, published(running, 0)).withTarget(1, published(running, 1));
    lastOpenBytes = serde.serializer().serialize(TOPIC, lastOpen);
    replay = fold(lastOpen, 2);
    replayBytes = serde.serializer().serialize(TOPIC, replay);
  }

  private static LedgerRecord.TargetState published(LedgerRecord r, int i) {
    LedgerRecord.TargetState s = r.targets().get(i);
    return s.withOutcome(
        TargetOutcome.Status.published,
        "sbx_a7216d" + i,
        "sandbox://" + s.accountId() + "/sbx_a7216d" + i,
        null);
  }

  /** The outcome of target {@code i}; the last one completes the batch and records its answer. */
  private static LedgerRecord fold(LedgerRecord r, int i) {
    LedgerRecord next = r.withTarget(i, published(r, i));
    if (!next.allTargetsClosed()) {
      return next;
    }
    String status = Answers.batchStatus(next.targets());
    long at = next.firstSeen() + 480;
    LedgerRecord done = next.completed(at);
    return done.answered(Answers.httpStatus(status), Answers.envelope(done, status));
  }

  @Benchmark
  public byte[] replayRecordSerialize() {
    return serde.serializer().serialize(TOPIC, replay);
  }

  @Benchmark
  public LedgerRecord replayRecordDeserialize() {
    return serde.deserializer().deserialize(TOPIC, replayBytes);
  }

  @Benchmark
  public byte[] foldOutcome() {
    LedgerRecord r = serde.deserializer().deserialize(TOPIC, runningBytes);
    return serde.serializer().serialize(TOPIC, fold(r, 0));
  }

  @Benchmark
  public byte[] foldLastOutcome() {
    LedgerRecord r = serde.deserializer().deserialize(TOPIC, lastOpenBytes);
    return serde.serializer().serialize(TOPIC, fold(r, 2));
  }

  @Benchmark
  public ByteString renderEnvelope() {
    return Answers.envelope(replay, "published");
  }
}

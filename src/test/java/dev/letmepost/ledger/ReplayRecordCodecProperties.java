package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The replay store's codec over arbitrary records: what it writes reads back equal. */
class ReplayRecordCodecProperties {

  @Property(tries = 300)
  void everyRecordReadsBackEqual(@ForAll("records") LedgerRecord r) {
    byte[] bytes = ReplayRecordCodec.write(r);
    assertThat(bytes[0]).isEqualTo(ReplayRecordCodec.FORMAT_1);
    assertThat(ReplayRecordCodec.read(bytes)).isEqualTo(r);
  }

  /** Any characters, surrogate halves and control characters included. */
  private static Arbitrary<String> any() {
    return Arbitraries.strings().all().ofMaxLength(40);
  }

  private static Arbitrary<String> text() {
    return any().filter(s -> !s.isBlank()).injectNull(0.0);
  }

  private static Arbitrary<String> maybe() {
    return any().injectNull(0.3);
  }

  private static Arbitrary<Long> time() {
    return Arbitraries.longs();
  }

  private static Arbitrary<List<PublishTask.Media>> media() {
    return Combinators.combine(text(), maybe())
        .as(PublishTask.Media::new)
        .list()
        .ofMaxSize(3)
        .injectNull(0.3);
  }

  private static Arbitrary<TargetError> error() {
    return Combinators.combine(text(), text(), Arbitraries.of(true, false).injectNull(0.3))
        .as(TargetError::new)
        .injectNull(0.4);
  }

  private static Arbitrary<LedgerRecord.TargetState> target() {
    return Combinators.combine(
            maybe(),
            maybe(),
            maybe(),
            Arbitraries.of(TargetOutcome.Status.class).injectNull(0.3),
            maybe(),
            maybe(),
            error())
        .as(LedgerRecord.TargetState::new);
  }

  private static Arbitrary<PublishTask> task() {
    return Builders.withBuilder(() -> new Object[13])
        .use(text())
        .in((a, v) -> set(a, 0, v))
        .use(text())
        .in((a, v) -> set(a, 1, v))
        .use(text())
        .in((a, v) -> set(a, 2, v))
        .use(time())
        .in((a, v) -> set(a, 3, v))
        .use(Arbitraries.integers().between(0, Integer.MAX_VALUE))
        .in((a, v) -> set(a, 4, v))
        .use(text())
        .in((a, v) -> set(a, 5, v))
        .use(text())
        .in((a, v) -> set(a, 6, v))
        .use(text())
        .in((a, v) -> set(a, 7, v))
        .use(text())
        .in((a, v) -> set(a, 8, v))
        .use(maybe())
        .in((a, v) -> set(a, 9, v))
        .use(media())
        .in((a, v) -> set(a, 10, v))
        .use(maybe())
        .in((a, v) -> set(a, 11, v))
        .use(time())
        .in((a, v) -> set(a, 12, v))
        .build(
            a ->
                new PublishTask(
                    (String) a[0],
                    (String) a[1],
                    (String) a[2],
                    (Long) a[3],
                    (Integer) a[4],
                    (String) a[5],
                    (String) a[6],
                    (String) a[7],
                    (String) a[8],
                    (String) a[9],
                    cast(a[10]),
                    (String) a[11],
                    (Long) a[12]));
  }

  private static Object[] set(Object[] a, int i, Object v) {
    a[i] = v;
    return a;
  }

  @SuppressWarnings("unchecked")
  private static List<PublishTask.Media> cast(Object o) {
    return (List<PublishTask.Media>) o;
  }

  @Provide
  Arbitrary<LedgerRecord> records() {
    Arbitrary<LedgerRecord.PostContent> content =
        Combinators.combine(maybe(), media(), maybe())
            .as(LedgerRecord.PostContent::new)
            .injectNull(0.6);
    return Builders.withBuilder(() -> new Object[19])
        .use(text())
        .in((a, v) -> set(a, 0, v))
        .use(maybe())
        .in((a, v) -> set(a, 1, v))
        .use(maybe())
        .in((a, v) -> set(a, 2, v))
        .use(maybe())
        .in((a, v) -> set(a, 3, v))
        .use(maybe())
        .in((a, v) -> set(a, 4, v))
        .use(time())
        .in((a, v) -> set(a, 5, v))
        .use(time())
        .in((a, v) -> set(a, 6, v))
        .use(time().injectNull(0.5))
        .in((a, v) -> set(a, 7, v))
        .use(time())
        .in((a, v) -> set(a, 8, v))
        .use(target().list().ofMaxSize(5))
        .in((a, v) -> set(a, 9, v))
        .use(any().list().ofMaxSize(3))
        .in((a, v) -> set(a, 10, v))
        .use(task().list().ofMaxSize(3))
        .in((a, v) -> set(a, 11, v))
        .use(content)
        .in((a, v) -> set(a, 12, v))
        .use(Arbitraries.integers().between(100, 599).injectNull(0.4))
        .in((a, v) -> set(a, 13, v))
        .use(
            Arbitraries.bytes()
                .array(byte[].class)
                .ofMaxSize(64)
                .map(ByteString::copyOf)
                .injectNull(0.4))
        .in((a, v) -> set(a, 14, v))
        .use(time().injectNull(0.5))
        .in((a, v) -> set(a, 15, v))
        .use(time().injectNull(0.7))
        .in((a, v) -> set(a, 16, v))
        .use(maybe())
        .in((a, v) -> set(a, 17, v))
        .use(maybe())
        .in((a, v) -> set(a, 18, v))
        .build(
            a ->
                new LedgerRecord(
                    (String) a[0],
                    (String) a[1],
                    (String) a[2],
                    (String) a[3],
                    (String) a[4],
                    (Long) a[5],
                    (Long) a[6],
                    (Long) a[7],
                    (Long) a[8],
                    castTargets(a[9]),
                    castStrings(a[10]),
                    castTasks(a[11]),
                    (LedgerRecord.PostContent) a[12],
                    (Integer) a[13],
                    (ByteString) a[14],
                    (Long) a[15],
                    (Long) a[16],
                    (String) a[17],
                    (String) a[18]));
  }

  @SuppressWarnings("unchecked")
  private static List<LedgerRecord.TargetState> castTargets(Object o) {
    return (List<LedgerRecord.TargetState>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<String> castStrings(Object o) {
    return (List<String>) o;
  }

  @SuppressWarnings("unchecked")
  private static List<PublishTask> castTasks(Object o) {
    return (List<PublishTask>) o;
  }
}

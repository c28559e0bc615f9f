package dev.letmepost.ledger;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The ledger's early commits: after a processor sent a publish task or an answer for a record no
 * older than {@link #FRESH}, it asks Kafka Streams to commit now ({@link
 * ProcessorContext#commit()}) instead of at the next commit interval, at most once per {@link
 * LedgerConfig#commitGap()} of wall-clock time on each stream thread. One pacer serves one built
 * topology.
 */
final class CommitPacer {
  /*
   * How Kafka Streams honours a request (4.4: StreamThread.maybeCommit, between two chunks of
   * processed records, after the punctuators): once the commit interval has passed it commits
   * every task of the thread; before that, TaskManager.maybeCommitActiveTasksPerUserRequested
   * commits every running task of the thread as soon as one of them has requested a commit and
   * has something to commit. So a requested commit happens right after the record that asked for
   * it, in the same loop, instead of at the next interval commit or, on an idle thread, after the
   * poll that waits up to poll.ms for new records.
   *
   * Why a pace: a commit is an exactly-once transaction (offsets, end markers on every partition
   * written, a round trip to the coordinator); a busy thread that committed after every new batch
   * and every answer would spend its time committing. A request costs one commit of the whole
   * thread, so the pace is kept per thread, not per task: at most one requested commit per gap,
   * plus the interval commits. And none for a record that is older than FRESH when it is decided
   * (by its timestamp: the command's or the outcome's broker time): such a record came out of a
   * backlog, where throughput is what counts and the interval commits serve it. `lmp bench`
   * measured first-seen batches at half the rate with the gap alone (docs/benchmarks.md).
   *
   * The promise does not depend on when commits happen: a task, its replay record and its events
   * are written in one transaction whenever it commits, a crash aborts the open transaction whole
   * (nothing of it was visible to read_committed readers, the publishers among them), and the
   * publishers call a platform only after their own journal transaction. Committing sooner only
   * makes the transactions smaller.
   */

  /** What a granted request does; {@link #COMMIT} but in tests, which also record it. */
  @FunctionalInterface
  interface Request {
    Request COMMIT = ProcessorContext::commit;

    void commit(ProcessorContext<?, ?> context);
  }

  /** How old a record may be for its task or answer to ask for an early commit. */
  static final Duration FRESH = Duration.ofSeconds(1);

  private final long gapMs;
  private final Request request;

  /**
   * When this stream thread last requested a commit (wall clock), null before its first: one value
   * per living thread, gone with a thread that died ({@link ThreadFailures} replaces dead threads,
   * so a map by thread would keep one entry per thread that ever ran).
   */
  private final ThreadLocal<Long> lastRequest = new ThreadLocal<>();

  CommitPacer(Duration gap) {
    this(gap, Request.COMMIT);
  }

  CommitPacer(Duration gap, Request request) {
    this.gapMs = gap.toMillis();
    this.request = Objects.requireNonNull(request, "request");
  }

  /**
   * How {@code context}'s processor sends what it emits: forwards it, and after a publish task or
   * an answer requests a commit, unless the record is older than {@link #FRESH} or this thread
   * requested one less than the gap ago.
   */
  Consumer<Record<String, Emission>> forwarder(ProcessorContext<String, Emission> context) {
    return record -> {
      context.forward(record);
      if (record.value() instanceof Emission.Task || record.value() instanceof Emission.Reply) {
        requestCommit(context, record.timestamp());
      }
    };
  }

  private void requestCommit(ProcessorContext<String, Emission> context, long timestamp) {
    long now = context.currentSystemTimeMs();
    if (now - timestamp > FRESH.toMillis()) {
      return;
    }
    Long last = lastRequest.get();
    if (last != null && now - last < gapMs && now >= last) {
      return;
    }
    lastRequest.set(now);
    request.commit(context);
  }
}

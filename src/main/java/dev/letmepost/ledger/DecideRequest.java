package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.FieldError;
import dev.letmepost.command.Hashing;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dedup decision: what one post command, keyed by its fingerprint, gets
 * (docs/contract.md#the-idempotency-table). A live replay record with another body hash: {@code 409
 * idempotency_conflict}. With the same body: the recorded answer, byte for byte, or a place among
 * the waiters while the batch runs ({@code 409 idempotency_in_progress} once they are full). No
 * live record: preflight, then a new batch recorded under the command's broker time.
 *
 * <p>Which record is live is {@link LiveRecord}'s rule, on broker times; where entries are filed is
 * {@link LedgerClock}'s. A command read later than the store can vouch for is answered {@code 503
 * ledger_behind}; any exception while deciding is answered {@code 500 internal_error} (not
 * recorded) and logged, so no command is ever left unanswered.
 */
final class DecideRequest implements Processor<String, Command, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(DecideRequest.class);
  static final int INTERNAL_ERROR = 500;
  static final int UNAVAILABLE = 503;
  private final LedgerConfig config;
  private final Function<byte[], Preflight.Result> preflight;
  private ProcessorContext<String, Emission> context;
  private WindowStore<String, LedgerRecord> replay;
  private Batches batches;
  private AccountDirectory accounts;
  private LedgerClock clock;
  private WindowStore<String, RequestEntry> requests;
  private WindowStore<String, String> batchIndex;

  /**
   * @param preflight the body check ({@link Preflight#check}; tests pass one that throws to prove
   *     every exception is answered)
   */
  DecideRequest(LedgerConfig config, Function<byte[], Preflight.Result> preflight) {
    this.config = config;
    this.preflight = preflight;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.context = context;
    this.replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.batches = new Batches(config, replay, timers, context::forward);
    this.accounts = new AccountDirectory(context.getStateStore(LedgerTopology.ACCOUNTS_STORE));
    this.clock = new LedgerClock(config);
    this.requests = context.getStateStore(LedgerTopology.REQUEST_INDEX);
    this.batchIndex = context.getStateStore(LedgerTopology.BATCH_INDEX);
  }

  @Override
  public void process(Record<String, Command> record) {
    Command c = record.value();
    long ts = record.timestamp();
    long now = context.currentSystemTimeMs();
    long brokerTime = clock.brokerTime(ts, now);
    long filedAt = LedgerClock.fileTime(brokerTime, now);
    try {
      decide(c, record.key(), brokerTime, filedAt, now, ts);
    } catch (RuntimeException e) {
      LOG.error(
          "internal error deciding request {} (fingerprint {}); answering 500",
          c.requestId(),
          record.key(),
          e);
      answerError(
          c,
          filedAt,
          INTERNAL_ERROR,
          Answers.error(
              "internal_error",
              "the ledger failed to decide this request ("
                  + Limits.echo(e.getClass().getSimpleName() + ": " + e.getMessage())
                  + "); nothing was recorded or published; retry with the same key"),
          c.idempotencyKey() == null || IdempotencyKeys.problem(c.idempotencyKey()).isPresent()
              ? null
              : c.idempotencyKey(),
          null,
          ts);
    }
  }

  private void decide(
      Command c, String fingerprint, long brokerTime, long filedAt, long now, long ts) {
    if (c.idempotencyKey() != null) {
      Optional<String> problem = IdempotencyKeys.problem(c.idempotencyKey());
      if (problem.isPresent()) {
        answerError(
            c,
            filedAt,
            Answers.BAD_REQUEST,
            Answers.error("invalid_idempotency_key", problem.get()),
            null,
            null,
            ts);
        return;
      }
    }
    if (!c.method().equals(LmpHeaders.DEFAULT_METHOD)
        || !c.path().equals(LmpHeaders.DEFAULT_PATH)) {
      answerError(
          c,
          filedAt,
          Answers.NOT_FOUND,
          Answers.error(
              "route_not_found",
              "no route for " + Limits.echo(c.method()) + " " + Limits.echo(c.path())),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }
    if (clock.tooLate(brokerTime, now)) {
      answerError(
          c,
          filedAt,
          UNAVAILABLE,
          Answers.error(
              "ledger_behind",
              "the ledger read this request "
                  + java.time.Duration.ofMillis(now - brokerTime).toSeconds()
                  + " s after the broker accepted it ("
                  + Rfc3339.format(brokerTime)
                  + "), later than its max command lag of "
                  + config.maxCommandLag()
                  + ": its replay record may be gone, so it was not decided; nothing was"
                  + " recorded or published; retry with the same key"),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }

    LedgerRecord live = live(fingerprint, brokerTime);
    if (live != null) {
      answerRetry(c, fingerprint, live, filedAt, ts);
      return;
    }

    Preflight.Result preflight = this.preflight.apply(c.body());
    if (!preflight.ok()) {
      answerError(
          c,
          filedAt,
          Answers.BAD_REQUEST,
          Answers.preflightFailed(preflight.errors()),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }
    PostRequest request = preflight.request();
    Long scheduledAt = request.scheduledAt() == null ? null : request.scheduledAt().toEpochMilli();
    long latestSchedule = brokerTime + config.replayTtl().minus(config.targetDeadline()).toMillis();
    if (scheduledAt != null && scheduledAt > latestSchedule) {
      answerError(
          c,
          filedAt,
          Answers.BAD_REQUEST,
          Answers.preflightFailed(
              List.of(
                  new FieldError(
                      "scheduledAt",
                      "schedule_too_far",
                      "scheduledAt "
                          + request.scheduledAt()
                          + " is later than "
                          + Rfc3339.format(latestSchedule)
                          + ", the latest this request's replay record can cover"))),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }
    start(
        c,
        fingerprint,
        request,
        brokerTime,
        freeWindowTime(fingerprint, filedAt),
        scheduledAt != null && scheduledAt > brokerTime ? scheduledAt : null,
        now,
        ts);
  }

  /**
   * {@code filedAt}, or the next millisecond no record of this fingerprint is filed under: two TTL
   * periods of a key read in one poll share a wall-clock millisecond, and a window store keeps one
   * value per key and time.
   */
  private long freeWindowTime(String fingerprint, long filedAt) {
    long t = filedAt;
    while (replay.fetch(fingerprint, t) != null) {
      t++;
    }
    return t;
  }

  private void answerRetry(
      Command c, String fingerprint, LedgerRecord live, long filedAt, long ts) {
    if (!live.bodySha256().equals(c.bodySha256())) {
      answerError(
          c,
          filedAt,
          Answers.CONFLICT,
          Answers.error(
              "idempotency_conflict",
              "Idempotency-Key '"
                  + c.idempotencyKey()
                  + "' was first used with a different request body"
                  + " (sha256 "
                  + live.bodySha256()
                  + ", this one "
                  + c.bodySha256()
                  + "); nothing was published for this request"),
          c.idempotencyKey(),
          config.expiry(live),
          ts);
    } else if (live.answered()) {
      indexPointer(c, fingerprint, live, filedAt);
      batches.reply(c.requestId(), live.responseStatus(), live.response(), true, live, ts);
    } else if (live.waiters().size() >= config.maxWaiters()) {
      answerError(
          c,
          filedAt,
          Answers.CONFLICT,
          Answers.error(
              "idempotency_in_progress",
              "the request with Idempotency-Key '"
                  + c.idempotencyKey()
                  + "' is still running and already has "
                  + live.waiters().size()
                  + " retries waiting; retry later"),
          c.idempotencyKey(),
          config.expiry(live),
          ts);
    } else {
      indexPointer(c, fingerprint, live, filedAt);
      batches.save(fingerprint, live.withWaiter(c.requestId()));
    }
  }

  /**
   * Answers an error that no replay record holds, and indexes the answer under the request id.
   *
   * @param idempotencyKey the key to echo and index: null when it is invalid (an invalid key can be
   *     huge; it is never stored)
   */
  private void answerError(
      Command c,
      long filedAt,
      int status,
      byte[] body,
      String idempotencyKey,
      Long expiresAt,
      long ts) {
    requests.put(
        c.requestId(),
        RequestEntry.answer(c.principal(), idempotencyKey, status, body, expiresAt),
        filedAt);
    batches.replyError(c.requestId(), status, body, idempotencyKey, expiresAt, ts);
  }

  /** Indexes the request as answered from (now or later) the replay record {@code about}. */
  private void indexPointer(Command c, String fingerprint, LedgerRecord about, long filedAt) {
    requests.put(
        c.requestId(),
        RequestEntry.pointer(c.principal(), c.idempotencyKey(), fingerprint, about.windowTime()),
        filedAt);
  }

  private void start(
      Command c,
      String fingerprint,
      PostRequest request,
      long firstSeen,
      long filedAt,
      Long scheduledAt,
      long now,
      long ts) {
    String batchId =
        "batch_"
            + Hashing.ulid(
                firstSeen, Hashing.lengthPrefixed(fingerprint, Long.toString(firstSeen)));
    ResolveTargets.Resolution resolution =
        ResolveTargets.resolve(
            accounts, c.principal(), request, fingerprint, batchId, firstSeen, filedAt);
    LedgerRecord record =
        new LedgerRecord(
            batchId,
            c.requestId(),
            c.principal(),
            c.idempotencyKey(),
            c.bodySha256(),
            firstSeen,
            filedAt,
            scheduledAt,
            0,
            resolution.states(),
            List.of(),
            scheduledAt == null ? List.of() : withoutContent(resolution.tasks()),
            scheduledAt == null
                ? null
                : new LedgerRecord.PostContent(
                    request.text(), request.media(), request.firstComment()),
            null,
            null,
            null);
    batchIndex.put(batchId, fingerprint, filedAt);
    indexPointer(c, fingerprint, record, filedAt);
    boolean waits = !resolution.tasks().isEmpty() && scheduledAt != null;
    byte[] accepted =
        waits
            ? Answers.envelope(record, Answers.SCHEDULED)
            : Answers.envelope(record, Answers.RUNNING, Answers.PENDING);
    batches.emit(PostEvents.batch(PostEvent.BATCH_ACCEPTED, record, accepted, firstSeen), ts);
    if (waits) {
      batches.emit(PostEvents.batch(PostEvent.BATCH_SCHEDULED, record, accepted, firstSeen), ts);
    }
    for (int i = 0; i < record.targets().size(); i++) {
      if (!record.targets().get(i).open()) {
        batches.targetClosed(record, i, firstSeen, ts);
      }
    }
    if (resolution.tasks().isEmpty()) {
      batches.complete(fingerprint, record, firstSeen, ts);
    } else if (waits) {
      record = record.answered(Answers.ACCEPTED, accepted);
      batches.save(fingerprint, record);
      batches.schedule(fingerprint, record);
      batches.reply(c.requestId(), Answers.ACCEPTED, accepted, false, record, ts);
    } else {
      batches.release(fingerprint, record, resolution.tasks(), now, ts);
    }
  }

  /** A scheduled batch keeps its content once ({@link LedgerRecord#content()}), not per task. */
  private static List<PublishTask> withoutContent(List<PublishTask> tasks) {
    return tasks.stream().map(t -> t.withContent(null, List.of(), null)).toList();
  }

  /** The replay record a command with this broker time meets, or null when it is new. */
  private LedgerRecord live(String fingerprint, long brokerTime) {
    long ttl = config.replayTtl().toMillis();
    try (WindowStoreIterator<LedgerRecord> it =
        replay.fetch(fingerprint, LiveRecord.scanFrom(brokerTime, ttl), Long.MAX_VALUE)) {
      return LiveRecord.choose(it, brokerTime, ttl);
    }
  }
}

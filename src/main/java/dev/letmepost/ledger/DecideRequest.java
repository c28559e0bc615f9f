package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.FieldError;
import dev.letmepost.command.Hashing;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.LmpHeaders;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The dedup decision: what one post command, keyed by its fingerprint, gets (DESIGN.md section 4).
 * A live replay record with another body hash: {@code 409 idempotency_conflict}. With the same
 * body: the recorded answer, byte for byte, or a place among the waiters while the batch runs
 * ({@code 409 idempotency_in_progress} once they are full). No live record: preflight, then a new
 * batch recorded under the command's broker time.
 *
 * <p>A record is live for a command filed at {@code t} when its first request was filed in {@code
 * (t - ttl, ...)}: first + ttl - 1 ms still replays, first + ttl starts anew. The range is open
 * above so that a retry read before its first request (partitions interleave) still meets it.
 */
final class DecideRequest implements Processor<String, Command, String, Emission> {
  private final LedgerConfig config;
  private ProcessorContext<String, Emission> context;
  private WindowStore<String, LedgerRecord> replay;
  private Batches batches;
  private AccountDirectory accounts;
  private LedgerClock clock;
  private WindowStore<String, RequestEntry> requests;
  private WindowStore<String, String> batchIndex;

  DecideRequest(LedgerConfig config) {
    this.config = config;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.context = context;
    this.replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.batches = new Batches(config, replay, timers, context::forward);
    this.accounts = new AccountDirectory(context.getStateStore(LedgerTopology.ACCOUNTS_STORE));
    this.clock = new LedgerClock(config.skewAllowance().toMillis());
    this.requests = context.getStateStore(LedgerTopology.REQUEST_INDEX);
    this.batchIndex = context.getStateStore(LedgerTopology.BATCH_INDEX);
  }

  @Override
  public void process(Record<String, Command> record) {
    Command c = record.value();
    String fingerprint = record.key();
    long ts = record.timestamp();
    long now = context.currentSystemTimeMs();
    long filedAt = clock.file(ts, now);

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
          Answers.error("route_not_found", "no route for " + c.method() + " " + c.path()),
          c.idempotencyKey(),
          null,
          ts);
      return;
    }

    LedgerRecord live = live(fingerprint, filedAt);
    if (live != null) {
      answerRetry(c, fingerprint, live, filedAt, ts);
      return;
    }

    Preflight.Result preflight = Preflight.check(c.body());
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
    long latestSchedule = filedAt + config.replayTtl().minus(config.targetDeadline()).toMillis();
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
                          + Answers.time(latestSchedule)
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
        filedAt,
        scheduledAt != null && scheduledAt > filedAt ? scheduledAt : null,
        now,
        ts);
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
          batches.expiry(live),
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
          batches.expiry(live),
          ts);
    } else {
      indexPointer(c, fingerprint, live, filedAt);
      batches.save(fingerprint, live.withWaiter(c.requestId()));
    }
  }

  /** Answers an error that no replay record holds, and indexes the answer under the request id. */
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
        RequestEntry.answer(c.principal(), c.idempotencyKey(), status, body, expiresAt),
        filedAt);
    batches.replyError(c.requestId(), status, body, idempotencyKey, expiresAt, ts);
  }

  /** Indexes the request as answered from (now or later) the replay record {@code about}. */
  private void indexPointer(Command c, String fingerprint, LedgerRecord about, long filedAt) {
    requests.put(
        c.requestId(),
        RequestEntry.pointer(c.principal(), c.idempotencyKey(), fingerprint, about.firstSeen()),
        filedAt);
  }

  private void start(
      Command c,
      String fingerprint,
      PostRequest request,
      long filedAt,
      Long scheduledAt,
      long now,
      long ts) {
    String batchId =
        "batch_"
            + Hashing.ulid(filedAt, Hashing.lengthPrefixed(fingerprint, Long.toString(filedAt)));
    ResolveTargets.Resolution resolution =
        ResolveTargets.resolve(accounts, c.principal(), request, fingerprint, batchId, filedAt);
    LedgerRecord record =
        new LedgerRecord(
            batchId,
            c.requestId(),
            c.principal(),
            c.idempotencyKey(),
            c.bodySha256(),
            filedAt,
            scheduledAt,
            0,
            resolution.states(),
            List.of(),
            scheduledAt == null ? List.of() : resolution.tasks(),
            null,
            null,
            null);
    batchIndex.put(batchId, fingerprint, filedAt);
    indexPointer(c, fingerprint, record, filedAt);
    if (resolution.tasks().isEmpty()) {
      batches.complete(fingerprint, record, filedAt, ts);
    } else if (scheduledAt != null) {
      byte[] body = Answers.envelope(record, "scheduled");
      record = record.answered(Answers.ACCEPTED, body);
      batches.save(fingerprint, record);
      batches.schedule(fingerprint, record);
      batches.reply(c.requestId(), Answers.ACCEPTED, body, false, record, ts);
    } else {
      batches.release(fingerprint, record, resolution.tasks(), now, ts);
    }
  }

  /** The replay record covering {@code filedAt}, or null when the request is new. */
  private LedgerRecord live(String fingerprint, long filedAt) {
    long from = filedAt - config.replayTtl().toMillis() + 1;
    LedgerRecord before = null;
    LedgerRecord after = null;
    try (WindowStoreIterator<LedgerRecord> it = replay.fetch(fingerprint, from, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        var kv = it.next();
        if (kv.key <= filedAt) {
          before = kv.value;
        } else if (after == null) {
          after = kv.value;
        }
      }
    }
    return before != null ? before : after;
  }
}

package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.Hashing;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The moves every decision on a request shares, over one ledger task's stores: answer an error and
 * index it, answer a retry from its live replay record (conflict, replay, wait), start a new batch.
 * {@link DecideRequest} (posts) and {@link DecideAction} (batch actions) each build one in {@code
 * init}; the idempotency table is the same for both.
 */
final class Decisions {
  static final int INTERNAL_ERROR = 500;
  static final int UNAVAILABLE = 503;
  private final LedgerConfig config;
  private final ProcessorContext<String, Emission> context;
  private final WindowStore<String, LedgerRecord> replay;
  private final Batches batches;
  private final AccountDirectory accounts;
  private final WindowStore<String, RequestEntry> requests;
  private final WindowStore<String, String> batchIndex;
  private final LedgerClock clock;
  private final Effects effects;

  /**
   * @param fault called before each write or forward is held ({@link Effects.Fault}; tests throw
   *     from it to fail a decision midway)
   */
  Decisions(LedgerConfig config, ProcessorContext<String, Emission> context, Effects.Fault fault) {
    this.config = config;
    this.context = context;
    this.replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.effects = Effects.held(fault);
    this.batches = new Batches(config, replay, timers, context::forward, effects);
    this.accounts = new AccountDirectory(context.getStateStore(LedgerTopology.ACCOUNTS_STORE));
    this.requests = context.getStateStore(LedgerTopology.REQUEST_INDEX);
    this.batchIndex = context.getStateStore(LedgerTopology.BATCH_INDEX);
    this.clock = new LedgerClock(config);
  }

  Batches batches() {
    return batches;
  }

  /**
   * Decides {@code c} with {@code decide}, then applies what it wrote and sent, whole; when it
   * throws, drops all of it and answers {@code 500 internal_error} (logged by {@code onError}),
   * which is then all this command leaves behind.
   */
  void decideWhole(
      Command c, long filedAt, long ts, Runnable decide, Consumer<RuntimeException> onError) {
    try {
      decide.run();
    } catch (RuntimeException e) {
      effects.drop();
      onError.accept(e);
      internalError(c, e, filedAt, ts);
    }
    effects.apply();
  }

  /** The key to echo on an error answer: null when the command's key is absent or invalid. */
  static String echoKey(Command c) {
    return c.idempotencyKey() == null || IdempotencyKeys.problem(c.idempotencyKey()).isPresent()
        ? null
        : c.idempotencyKey();
  }

  /**
   * Answers {@code 400 invalid_idempotency_key} (not recorded, the key not echoed) when the
   * command's key breaks the key rules; true when it did.
   */
  boolean answeredInvalidKey(Command c, long filedAt, long ts) {
    if (c.idempotencyKey() == null) {
      return false;
    }
    Optional<String> problem = IdempotencyKeys.problem(c.idempotencyKey());
    problem.ifPresent(
        p ->
            answerError(
                c,
                filedAt,
                Answers.BAD_REQUEST,
                Answers.error("invalid_idempotency_key", p),
                null,
                null,
                ts));
    return problem.isPresent();
  }

  /**
   * Answers {@code 503 ledger_behind} (not recorded) when the command was read later than the
   * stores can vouch for ({@link LedgerClock#tooLate}); true when it did.
   *
   * @param unchanged what was not done, as the answer says it: "nothing was {@code unchanged}"
   */
  boolean answeredBehind(
      Command c, long brokerTime, long now, long filedAt, long ts, String unchanged) {
    if (!clock.tooLate(brokerTime, now)) {
      return false;
    }
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
                + ": its replay record may be gone, so it was not decided; nothing was "
                + unchanged
                + "; retry with the same key"),
        c.idempotencyKey(),
        null,
        ts);
    return true;
  }

  /**
   * {@code 500 internal_error} for an exception while deciding; nothing recorded ({@link
   * #decideWhole} dropped what the decision had written).
   */
  void internalError(Command c, RuntimeException e, long filedAt, long ts) {
    answerError(
        c,
        filedAt,
        INTERNAL_ERROR,
        Answers.error(
            "internal_error",
            "the ledger failed to decide this request ("
                + Limits.echo(e.getClass().getSimpleName() + ": " + e.getMessage())
                + "); nothing was recorded or published; retry with the same key"),
        echoKey(c),
        null,
        ts);
  }

  /**
   * {@code filedAt}, or the next millisecond no record of this fingerprint is filed under: two TTL
   * periods of a key read in one poll share a wall-clock millisecond, and a window store keeps one
   * value per key and time.
   */
  long freeWindowTime(String fingerprint, long filedAt) {
    long t = filedAt;
    while (replay.fetch(fingerprint, t) != null) {
      t++;
    }
    return t;
  }

  /** The replay record a command with this broker time meets, or null when it is new. */
  LedgerRecord live(String fingerprint, long brokerTime) {
    long ttl = config.replayTtl().toMillis();
    try (WindowStoreIterator<LedgerRecord> it =
        replay.fetch(fingerprint, LiveRecord.scanFrom(brokerTime, ttl), Long.MAX_VALUE)) {
      return LiveRecord.choose(it, brokerTime, ttl);
    }
  }

  /**
   * The batch with this id in this task, while its replay record is kept: the latest batch-index
   * entry, then its record.
   */
  LedgerRecord batch(String batchId) {
    String fingerprint = null;
    long windowTime = 0;
    try (WindowStoreIterator<String> it = batchIndex.fetch(batchId, 0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        var kv = it.next();
        windowTime = kv.key;
        fingerprint = kv.value;
      }
    }
    if (fingerprint == null) {
      return null;
    }
    LedgerRecord r = replay.fetch(fingerprint, windowTime);
    return r == null || !r.batchId().equals(batchId) ? null : r;
  }

  /** The key the batch with this id is filed under (its batch-index entry), or null. */
  String fingerprintOf(String batchId) {
    String fingerprint = null;
    try (WindowStoreIterator<String> it = batchIndex.fetch(batchId, 0L, Long.MAX_VALUE)) {
      while (it.hasNext()) {
        fingerprint = it.next().value;
      }
    }
    return fingerprint;
  }

  /** A retry meeting a live replay record: conflict, the recorded answer, or a place to wait. */
  void answerRetry(Command c, String fingerprint, LedgerRecord live, long filedAt, long ts) {
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
  void answerError(
      Command c,
      long filedAt,
      int status,
      byte[] body,
      String idempotencyKey,
      Long expiresAt,
      long ts) {
    RequestEntry entry =
        RequestEntry.answer(c.principal(), idempotencyKey, status, body, expiresAt);
    effects.add(() -> requests.put(c.requestId(), entry, filedAt));
    batches.replyError(c.requestId(), status, body, idempotencyKey, expiresAt, ts);
  }

  /** Indexes the request as answered from (now or later) the replay record {@code about}. */
  void indexPointer(Command c, String fingerprint, LedgerRecord about, long filedAt) {
    RequestEntry entry =
        RequestEntry.pointer(c.principal(), c.idempotencyKey(), fingerprint, about.windowTime());
    effects.add(() -> requests.put(c.requestId(), entry, filedAt));
  }

  /**
   * The batch id of a post first seen at {@code firstSeen} under {@code fingerprint}: {@code
   * batch_} + a ULID of the time and SHA-256 of fingerprint, time and (after the first candidate) a
   * counter, the first candidate whose partition among {@code partitions} (Kafka's default
   * partitioner, {@link ActionKeys#partition}) is the fingerprint's. A batch action, keyed by the
   * batch id it names, thus reaches the task that holds the batch in one repartition, with no
   * directory of batch ids (docs/contract.md#batch-actions).
   */
  static String batchId(String fingerprint, long firstSeen, int partitions) {
    int partition = ActionKeys.partition(fingerprint, partitions);
    String seen = Long.toString(firstSeen);
    for (int i = 0; ; i++) {
      byte[] entropy =
          i == 0
              ? Hashing.lengthPrefixed(fingerprint, seen)
              : Hashing.lengthPrefixed(fingerprint, seen, Integer.toString(i));
      String id = "batch_" + Hashing.ulid(firstSeen, entropy);
      if (ActionKeys.partition(id, partitions) == partition) {
        return id;
      }
    }
  }

  /**
   * Records an action's answer (not a batch of its own) under {@code key} and sends it: a replay
   * record without targets, answered at once, that the action's retries replay.
   */
  void recordAction(
      Command c,
      String key,
      LedgerRecord about,
      long firstSeen,
      long filedAt,
      int status,
      byte[] body,
      long ts) {
    LedgerRecord record =
        new LedgerRecord(
            about.batchId(),
            c.requestId(),
            c.principal(),
            c.idempotencyKey(),
            c.bodySha256(),
            firstSeen,
            filedAt,
            null,
            0,
            List.of(),
            List.of(),
            List.of(),
            null,
            status,
            body,
            firstSeen,
            null,
            null,
            null);
    batches.save(key, record);
    indexPointer(c, key, record, filedAt);
    batches.reply(c.requestId(), status, body, false, record, ts);
  }

  /**
   * Starts a new batch under {@code fingerprint}: resolves its targets, records it, emits its
   * events and either releases it, schedules it, or completes it at once.
   *
   * @param retryOf the batch it retries, else null
   */
  LedgerRecord start(
      Command c,
      String fingerprint,
      String batchId,
      PostRequest request,
      long firstSeen,
      long filedAt,
      Long scheduledAt,
      long now,
      long ts,
      String retryOf) {
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
            new LedgerRecord.PostContent(request.text(), request.media(), request.firstComment()),
            null,
            null,
            null,
            null,
            retryOf,
            null);
    effects.add(() -> batchIndex.put(batchId, fingerprint, filedAt));
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
      return batches.complete(fingerprint, record, firstSeen, ts);
    } else if (waits) {
      record = record.answered(Answers.ACCEPTED, accepted);
      batches.save(fingerprint, record);
      batches.schedule(fingerprint, record);
      batches.reply(c.requestId(), Answers.ACCEPTED, accepted, false, record, ts);
      return record;
    } else {
      return batches.release(fingerprint, record, resolution.tasks(), now, ts);
    }
  }

  /** A scheduled batch keeps its content once ({@link LedgerRecord#content()}), not per task. */
  private static List<PublishTask> withoutContent(List<PublishTask> tasks) {
    return tasks.stream().map(t -> t.withContent(null, List.of(), null)).toList();
  }
}

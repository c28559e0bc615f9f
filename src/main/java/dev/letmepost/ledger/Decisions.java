package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.FieldError;
import dev.letmepost.command.Hashing;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The moves every decision on a command shares, over one ledger task's stores: the decision's
 * skeleton (its times, and the catch-all answer), answer an error and index it, answer a retry from
 * its live replay record (conflict, replay, wait), the scheduling rule, start a new batch. {@link
 * DecideRequest} (posts) and {@link DecideAction} (batch actions) each build one in {@code init};
 * the idempotency table is the same for both.
 */
final class Decisions {
  private static final Logger LOG = LoggerFactory.getLogger(Decisions.class);

  /**
   * The times of one command's decision ({@link LedgerClock}).
   *
   * @param ts the command record's timestamp, which everything the decision sends carries
   * @param now the wall clock
   * @param brokerTime the time its idempotency contract counts from
   * @param filedAt the window time of the index entries it writes
   */
  record Times(long ts, long now, long brokerTime, long filedAt) {}

  /** A decision on one command, under the key its topic is keyed by. */
  @FunctionalInterface
  interface Decider {
    void decide(Command c, String key, Times t);
  }

  private final LedgerConfig config;
  private final ProcessorContext<String, Emission> context;
  private final LedgerStores stores;
  private final Batches batches;
  private final AccountDirectory accounts;
  private final WindowStore<String, RequestEntry> requests;
  private final WindowStore<String, String> batchIndex;
  private final LedgerClock clock;
  private final Effects effects;

  /**
   * @param pacer how its tasks and answers ask for an early commit
   * @param fault called before each write or forward is held ({@link Effects.Fault}; tests throw
   *     from it to fail a decision midway)
   */
  Decisions(
      LedgerConfig config,
      ProcessorContext<String, Emission> context,
      CommitPacer pacer,
      Effects.Fault fault) {
    this.config = config;
    this.context = context;
    WindowStore<String, LedgerRecord> replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.effects = Effects.held(fault);
    this.batches = new Batches(config, replay, timers, pacer.forwarder(context), effects);
    this.accounts = new AccountDirectory(context.getStateStore(LedgerTopology.ACCOUNTS_STORE));
    this.requests = context.getStateStore(LedgerTopology.REQUEST_INDEX);
    this.batchIndex = context.getStateStore(LedgerTopology.BATCH_INDEX);
    this.stores =
        new LedgerStores(
            LedgerStores.Window.of(replay),
            LedgerStores.Window.of(batchIndex),
            LedgerStores.Window.of(requests),
            config);
    this.clock = new LedgerClock(config);
  }

  Batches batches() {
    return batches;
  }

  LedgerStores stores() {
    return stores;
  }

  /**
   * Decides the command of {@code record} with {@code decider} at its times, then applies what it
   * wrote and sent, whole; when it throws, drops all of it and answers {@code 500 internal_error}
   * (and logs it), which is then all this command leaves behind. A record without command is
   * skipped.
   */
  void decide(Record<String, Command> record, Decider decider) {
    Command c = record.value();
    if (c == null) {
      return;
    }
    long ts = record.timestamp();
    long now = context.currentSystemTimeMs();
    long brokerTime = clock.brokerTime(ts, now);
    Times t = new Times(ts, now, brokerTime, LedgerClock.fileTime(brokerTime, now));
    try {
      decider.decide(c, record.key(), t);
    } catch (RuntimeException e) {
      effects.drop();
      LOG.error(
          "internal error deciding {} {} (request {}, key '{}'); answering 500",
          Limits.echo(c.method()),
          Limits.echo(c.path()),
          c.requestId(),
          Limits.echo(record.key()),
          e);
      answerError(
          c,
          t,
          Answers.INTERNAL_ERROR,
          Answers.error(
              "internal_error",
              "the ledger failed to decide this request ("
                  + Limits.echo(e.getClass().getSimpleName() + ": " + e.getMessage())
                  + "); nothing was recorded or published; retry with the same key"),
          echoKey(c),
          null);
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
  boolean answeredInvalidKey(Command c, Times t) {
    Optional<String> problem =
        c.keyProblem() != null
            ? Optional.of(c.keyProblem())
            : c.idempotencyKey() == null
                ? Optional.empty()
                : IdempotencyKeys.problem(c.idempotencyKey());
    problem.ifPresent(
        p ->
            answerError(
                c,
                t,
                Answers.BAD_REQUEST,
                Answers.error("invalid_idempotency_key", p),
                null,
                null));
    return problem.isPresent();
  }

  /**
   * Answers {@code 503 ledger_behind} (not recorded) when the command was read later than the
   * stores can vouch for ({@link LedgerClock#tooLate}); true when it did.
   *
   * @param unchanged what was not done, as the answer says it: "nothing was {@code unchanged}"
   */
  boolean answeredBehind(Command c, Times t, String unchanged) {
    if (!clock.tooLate(t.brokerTime(), t.now())) {
      return false;
    }
    answerError(
        c,
        t,
        Answers.UNAVAILABLE,
        Answers.error(
            "ledger_behind",
            "the ledger read this request "
                + Duration.ofMillis(t.now() - t.brokerTime()).toSeconds()
                + " s after the broker accepted it ("
                + Rfc3339.format(t.brokerTime())
                + "), later than its max command lag of "
                + config.maxCommandLag()
                + ": its replay record may be gone, so it was not decided; nothing was "
                + unchanged
                + "; retry with the same key"),
        c.idempotencyKey(),
        null);
    return true;
  }

  /**
   * Answers {@code 400 preflight_failed} with {@code errors} (not recorded): a body that failed its
   * check.
   */
  void answerPreflightFailed(Command c, Times t, List<FieldError> errors) {
    answerError(
        c, t, Answers.BAD_REQUEST, Answers.preflightFailed(errors), c.idempotencyKey(), null);
  }

  /**
   * The scheduling rule: a batch first seen at {@code firstSeen} can be scheduled at most the TTL
   * minus the target deadline later, so that its replay record covers the whole batch. Answers
   * {@code 400 preflight_failed} / {@code schedule_too_far} (not recorded) when {@code scheduledAt}
   * is later ({@link #scheduleTooFar}); true when it did.
   *
   * @param shown {@code scheduledAt} as the answer shows it
   * @param whose whose replay record, as the answer names it
   */
  boolean answeredScheduleTooFar(
      Command c, Times t, long scheduledAt, String shown, long firstSeen, String whose) {
    Optional<FieldError> tooFar = scheduleTooFar(config, scheduledAt, shown, firstSeen, whose);
    tooFar.ifPresent(e -> answerPreflightFailed(c, t, List.of(e)));
    return tooFar.isPresent();
  }

  /**
   * The scheduling rule's field error, empty when {@code scheduledAt} is within it: a batch first
   * seen at {@code firstSeen} can be scheduled at most the TTL minus the target deadline later.
   *
   * @param shown {@code scheduledAt} as the error shows it
   * @param whose whose replay record, as the error names it
   */
  static Optional<FieldError> scheduleTooFar(
      LedgerConfig config, long scheduledAt, String shown, long firstSeen, String whose) {
    long latest = firstSeen + config.replayTtl().minus(config.targetDeadline()).toMillis();
    if (scheduledAt <= latest) {
      return Optional.empty();
    }
    return Optional.of(
        new FieldError(
            "scheduledAt",
            "schedule_too_far",
            "scheduledAt "
                + shown
                + " is later than "
                + Rfc3339.format(latest)
                + ", the latest "
                + whose
                + " replay record can cover"));
  }

  /**
   * Answers a retry that meets a live replay record under {@code key}: conflict, the recorded
   * answer, or a place to wait; true when it did, false when the command is new.
   */
  boolean answeredRetry(Command c, String key, Times t) {
    LedgerRecord live = stores.live(key, t.brokerTime());
    if (live == null) {
      return false;
    }
    if (!live.bodySha256().equals(c.bodySha256())) {
      answerError(
          c,
          t,
          Answers.UNPROCESSABLE,
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
          config.expiry(live));
    } else if (live.answered()) {
      indexPointer(c, key, live, t.filedAt());
      batches.reply(c.requestId(), live.responseStatus(), live.response(), true, live, t.ts());
    } else if (live.waiters().size() >= config.maxWaiters()) {
      answerError(
          c,
          t,
          Answers.CONFLICT,
          Answers.error(
              "idempotency_in_progress",
              "the request with Idempotency-Key '"
                  + c.idempotencyKey()
                  + "' is still running and already has "
                  + live.waiters().size()
                  + " retries waiting; retry later"),
          c.idempotencyKey(),
          config.expiry(live));
    } else {
      indexPointer(c, key, live, t.filedAt());
      batches.save(key, live.withWaiter(c.requestId()));
    }
    return true;
  }

  /**
   * Answers an error that no replay record holds, and indexes the answer under the request id.
   *
   * @param idempotencyKey the key to echo and index: null when it is invalid (an invalid key can be
   *     huge; it is never stored)
   */
  void answerError(
      Command c, Times t, int status, ByteString body, String idempotencyKey, Long expiresAt) {
    RequestEntry entry =
        RequestEntry.answer(c.principal(), idempotencyKey, status, body, expiresAt);
    effects.add(() -> requests.put(c.requestId(), entry, t.filedAt()));
    batches.replyError(c.requestId(), status, body, idempotencyKey, expiresAt, t.ts());
  }

  /**
   * Indexes the request, under {@code filedAt}, as answered from (now or later) the replay record
   * {@code about}.
   */
  private void indexPointer(Command c, String key, LedgerRecord about, long filedAt) {
    RequestEntry entry =
        RequestEntry.pointer(c.principal(), c.idempotencyKey(), key, about.filedAt());
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
    String seen = Long.toString(firstSeen);
    return ActionKeys.firstInPartition(
        ActionKeys.partition(fingerprint, partitions),
        partitions,
        i ->
            "batch_"
                + Hashing.ulid(
                    firstSeen,
                    i == 0
                        ? Hashing.lengthPrefixed(fingerprint, seen)
                        : Hashing.lengthPrefixed(fingerprint, seen, Integer.toString(i))));
  }

  /**
   * Records an action's answer (not a batch of its own) under {@code key} at {@code windowTime} and
   * sends it: a replay record without targets, first seen at the action's broker time and answered
   * at once, that the action's retries replay.
   */
  void recordAction(
      Command c,
      String key,
      long windowTime,
      LedgerRecord about,
      Times t,
      int status,
      ByteString body) {
    LedgerRecord record =
        newRecord(c, about.batchId(), t.brokerTime(), windowTime)
            .responseStatus(status)
            .response(body)
            .completedAt(t.brokerTime())
            .build();
    batches.save(key, record);
    indexPointer(c, key, record, windowTime);
    batches.reply(c.requestId(), status, body, false, record, t.ts());
  }

  /** A new replay record of {@code c}'s request, first seen and filed as given. */
  private static LedgerRecord.Builder newRecord(
      Command c, String batchId, long firstSeen, long filedAt) {
    return LedgerRecord.builder()
        .batchId(batchId)
        .requestId(c.requestId())
        .principal(c.principal())
        .idempotencyKey(c.idempotencyKey())
        .bodySha256(c.bodySha256())
        .firstSeen(firstSeen)
        .filedAt(filedAt);
  }

  /**
   * Starts a new batch under {@code key} at {@code windowTime}, first seen at the command's broker
   * time: resolves its targets, records it, emits its events and either releases it, schedules it,
   * or completes it at once.
   *
   * @param scheduledAt when it is due, or null for now
   * @param retryOf the batch it retries, else null
   */
  LedgerRecord start(
      Command c,
      String key,
      long windowTime,
      String batchId,
      PostRequest request,
      Times t,
      Long scheduledAt,
      String retryOf) {
    long firstSeen = t.brokerTime();
    ResolveTargets.Resolution resolution =
        ResolveTargets.resolve(
            accounts, c.principal(), request, key, batchId, firstSeen, windowTime);
    LedgerRecord record =
        newRecord(c, batchId, firstSeen, windowTime)
            .scheduledAt(scheduledAt)
            .targets(resolution.states())
            .pending(scheduledAt == null ? List.of() : withoutContent(resolution.tasks()))
            .content(
                new LedgerRecord.PostContent(
                    request.text(), request.media(), request.firstComment()))
            .retryOf(retryOf)
            .build();
    effects.add(() -> batchIndex.put(batchId, key, windowTime));
    indexPointer(c, key, record, windowTime);
    boolean waits = !resolution.tasks().isEmpty() && scheduledAt != null;
    ByteString accepted =
        waits
            ? Answers.envelope(record, Answers.SCHEDULED)
            : Answers.envelope(record, Answers.RUNNING, Answers.PENDING);
    long ts = t.ts();
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
      return batches.complete(key, record, firstSeen, ts);
    } else if (waits) {
      record = record.answered(Answers.ACCEPTED, accepted);
      batches.save(key, record);
      batches.schedule(key, record);
      batches.reply(c.requestId(), Answers.ACCEPTED, accepted, false, record, ts);
      return record;
    } else {
      return batches.release(key, record, resolution.tasks(), t.now(), ts);
    }
  }

  /** A scheduled batch keeps its content once ({@link LedgerRecord#content()}), not per task. */
  private static List<PublishTask> withoutContent(List<PublishTask> tasks) {
    return tasks.stream().map(t -> t.withContent(null, List.of(), null)).toList();
  }
}

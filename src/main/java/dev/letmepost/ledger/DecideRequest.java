package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.FieldError;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.LmpHeaders;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
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
 * ledger_behind}; any exception while deciding is answered {@code 500 internal_error} and logged,
 * so no command is ever left unanswered. A decision's writes and forwards are held until it is
 * complete ({@link Effects}), so that answer is all an exception leaves behind.
 */
final class DecideRequest implements Processor<String, Command, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(DecideRequest.class);
  static final int INTERNAL_ERROR = Decisions.INTERNAL_ERROR;
  static final int UNAVAILABLE = Decisions.UNAVAILABLE;
  private final LedgerConfig config;
  private final Function<byte[], Preflight.Result> preflight;
  private final Effects.Fault fault;
  private ProcessorContext<String, Emission> context;
  private Decisions decisions;
  private LedgerClock clock;

  /**
   * @param preflight the body check ({@link Preflight#check}; tests pass one that throws to prove
   *     every exception is answered)
   * @param fault called before each write or forward is held ({@link Effects.Fault#NONE} but in
   *     tests, which throw from it to fail a decision midway)
   */
  DecideRequest(
      LedgerConfig config, Function<byte[], Preflight.Result> preflight, Effects.Fault fault) {
    this.config = config;
    this.preflight = preflight;
    this.fault = fault;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.context = context;
    this.decisions = new Decisions(config, context, fault);
    this.clock = new LedgerClock(config);
  }

  @Override
  public void process(Record<String, Command> record) {
    Command c = record.value();
    long ts = record.timestamp();
    long now = context.currentSystemTimeMs();
    long brokerTime = clock.brokerTime(ts, now);
    long filedAt = LedgerClock.fileTime(brokerTime, now);
    decisions.decideWhole(
        c,
        filedAt,
        ts,
        () -> decide(c, record.key(), brokerTime, filedAt, now, ts),
        e ->
            LOG.error(
                "internal error deciding request {} (fingerprint {}); answering 500",
                c.requestId(),
                record.key(),
                e));
  }

  private void decide(
      Command c, String fingerprint, long brokerTime, long filedAt, long now, long ts) {
    if (decisions.answeredInvalidKey(c, filedAt, ts)) {
      return;
    }
    if (!c.method().equals(LmpHeaders.DEFAULT_METHOD)
        || !c.path().equals(LmpHeaders.DEFAULT_PATH)) {
      decisions.answerError(
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
    if (decisions.answeredBehind(c, brokerTime, now, filedAt, ts, "recorded or published")) {
      return;
    }

    LedgerRecord live = decisions.live(fingerprint, brokerTime);
    if (live != null) {
      decisions.answerRetry(c, fingerprint, live, filedAt, ts);
      return;
    }

    Preflight.Result preflight = this.preflight.apply(c.body());
    if (!preflight.ok()) {
      decisions.answerError(
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
      decisions.answerError(
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
    decisions.start(
        c,
        fingerprint,
        Decisions.batchId(fingerprint, brokerTime, config.partitions()),
        request,
        brokerTime,
        decisions.freeWindowTime(fingerprint, filedAt),
        scheduledAt != null && scheduledAt > brokerTime ? scheduledAt : null,
        now,
        ts,
        null);
  }
}

package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.command.Limits;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.LmpHeaders;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The dedup decision: what one post command, keyed by its fingerprint, gets
 * (docs/contract.md#the-idempotency-table). A live replay record with another body hash: {@code 422
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
  private final LedgerConfig config;
  private final Function<byte[], Preflight.Result> preflight;
  private final CommitPacer pacer;
  private final Effects.Fault fault;
  private Decisions decisions;

  /**
   * @param preflight the body check ({@link Preflight#check}; tests pass one that throws to prove
   *     every exception is answered)
   * @param pacer how its tasks and answers ask for an early commit ({@link CommitPacer})
   * @param fault called before each write or forward is held ({@link Effects.Fault#NONE} but in
   *     tests, which throw from it to fail a decision midway)
   */
  DecideRequest(
      LedgerConfig config,
      Function<byte[], Preflight.Result> preflight,
      CommitPacer pacer,
      Effects.Fault fault) {
    this.config = config;
    this.preflight = preflight;
    this.pacer = pacer;
    this.fault = fault;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.decisions = new Decisions(config, context, pacer, fault);
  }

  @Override
  public void process(Record<String, Command> record) {
    decisions.decide(record, this::decide);
  }

  private void decide(Command c, String fingerprint, Decisions.Times t) {
    if (decisions.answeredInvalidKey(c, t)) {
      return;
    }
    if (!c.method().equals(LmpHeaders.DEFAULT_METHOD)
        || !c.path().equals(LmpHeaders.DEFAULT_PATH)) {
      decisions.answerError(
          c,
          t,
          Answers.NOT_FOUND,
          Answers.error(
              "route_not_found",
              "no route for " + Limits.echo(c.method()) + " " + Limits.echo(c.path())),
          c.idempotencyKey(),
          null);
      return;
    }
    if (decisions.answeredBehind(c, t, "recorded or published")
        || decisions.answeredRetry(c, fingerprint, t)) {
      return;
    }
    Preflight.Result checked = check(preflight, config, c.body().toByteArray(), t.brokerTime());
    if (!checked.ok()) {
      decisions.answerPreflightFailed(c, t, checked.errors());
      return;
    }
    PostRequest request = checked.request();
    Long scheduledAt = request.scheduledAt() == null ? null : request.scheduledAt().toEpochMilli();
    decisions.start(
        c,
        fingerprint,
        decisions.stores().freeWindowTime(fingerprint, t.filedAt()),
        Decisions.batchId(fingerprint, t.brokerTime(), config.partitions()),
        request,
        t,
        scheduledAt != null && scheduledAt > t.brokerTime() ? scheduledAt : null,
        null);
  }

  /**
   * The check of a new post's body, first seen at {@code firstSeen}: {@code preflight}, then the
   * scheduling rule on its {@code scheduledAt} ({@link Decisions#scheduleTooFar}). A new batch
   * ({@link #decide}) and a dry run ({@link DryRun}) are checked here.
   */
  static Preflight.Result check(
      Function<byte[], Preflight.Result> preflight,
      LedgerConfig config,
      byte[] body,
      long firstSeen) {
    Preflight.Result checked = preflight.apply(body);
    if (!checked.ok() || checked.request().scheduledAt() == null) {
      return checked;
    }
    Instant at = checked.request().scheduledAt();
    return Decisions.scheduleTooFar(
            config, at.toEpochMilli(), at.toString(), firstSeen, "this request's")
        .map(e -> new Preflight.Result(null, List.of(e)))
        .orElse(checked);
  }
}

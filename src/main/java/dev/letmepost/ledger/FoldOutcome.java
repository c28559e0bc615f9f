package dev.letmepost.ledger;

import dev.letmepost.command.Limits;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds one target's outcome into its batch's replay record; the outcome that closes the last open
 * target completes the batch and answers the request and every waiter. The first outcome of a
 * target wins; late, duplicate or foreign outcomes change nothing. The outcome's fields are kept
 * cut to {@link Limits}, so no outcome can grow a replay record past the record ceiling.
 *
 * <p>An outcome whose batch is not here and that was read on another partition than its
 * fingerprint's (a producer that does not partition by murmur2, such as librdkafka's default) is
 * sent on to its fingerprint's partition, once, marked {@value Inbound#REROUTED_HEADER}; one that
 * still arrives off its partition after that is a dead letter {@code misrouted_outcome}.
 *
 * <p>It also owns the time decisions ({@link ExpireOverdue}): a wall-clock timer releases scheduled
 * batches and, when some deadline has passed, writes a tick to this task's outcomes partition; the
 * tick read back closes the overdue batches.
 */
final class FoldOutcome implements Processor<String, Inbound, String, Emission> {
  private static final Logger LOG = LoggerFactory.getLogger(FoldOutcome.class);
  private final LedgerConfig config;
  private final CommitPacer pacer;
  private ProcessorContext<String, Emission> context;
  private int partition;
  private Batches batches;
  private ExpireOverdue expire;

  /**
   * @param pacer how its answers ask for an early commit ({@link CommitPacer})
   */
  FoldOutcome(LedgerConfig config, CommitPacer pacer) {
    this.config = config;
    this.pacer = pacer;
  }

  @Override
  public void init(ProcessorContext<String, Emission> context) {
    this.context = context;
    this.partition = context.taskId().partition();
    WindowStore<String, LedgerRecord> replay = context.getStateStore(LedgerTopology.REPLAY_STORE);
    KeyValueStore<String, Long> timers = context.getStateStore(LedgerTopology.TIMER_STORE);
    this.batches =
        new Batches(config, replay, timers, pacer.forwarder(context), Effects.immediate());
    this.expire = new ExpireOverdue(batches, timers, config);
    Duration interval = config.timerInterval();
    context.schedule(
        interval,
        PunctuationType.WALL_CLOCK_TIME,
        now -> {
          ExpireOverdue.Work released = expire.releaseDue(now);
          if (released.cut()) {
            LOG.info(
                "released {} due batches (about {} bytes); the rest go at the next interval",
                released.handled(),
                released.bytes());
          }
          if (expire.tickNeeded(now)) {
            RecordHeaders headers = new RecordHeaders();
            headers.add(Inbound.TICK_HEADER, new byte[] {1});
            context.forward(
                new Record<>(Inbound.tickKey(partition), new Emission.Tick(now), now, headers));
          }
        });
  }

  @Override
  public void process(Record<String, Inbound> record) {
    Inbound in = record.value();
    if (in instanceof Inbound.Tick tick) {
      ExpireOverdue.Work closed = expire.closeOverdue(tick.at());
      if (closed.cut()) {
        LOG.info(
            "closed {} overdue batches (about {} bytes); the rest at the next tick",
            closed.handled(),
            closed.bytes());
      }
      return;
    }
    TargetOutcome o = in instanceof Inbound.Outcome outcome ? outcome.outcome() : null;
    String fingerprint = record.key();
    if (o == null || !o.fingerprint().equals(fingerprint)) {
      LOG.warn(
          "ignoring outcome keyed '{}' for fingerprint '{}'",
          Limits.echo(fingerprint),
          o == null ? null : Limits.echo(o.fingerprint()));
      return;
    }
    LedgerRecord batch = batches.find(fingerprint, o.recordedAt());
    if (batch == null && sentOn(record, o)) {
      return;
    }
    if (batch == null || !batch.batchId().equals(o.batchId())) {
      LOG.warn(
          "ignoring outcome of task {}: batch {} has no replay record (expired or never started)",
          Limits.echo(o.taskId()),
          Limits.echo(o.batchId()));
      return;
    }
    int i = o.targetIndex();
    if (i < 0
        || i >= batch.targets().size()
        || !o.taskId().equals(batch.targets().get(i).taskId())) {
      LOG.warn(
          "ignoring outcome of task {}: batch {} has no such task at targets[{}]",
          Limits.echo(o.taskId()),
          o.batchId(),
          i);
      return;
    }
    LedgerRecord.TargetState target = batch.targets().get(i);
    if (!target.open()) {
      LOG.info(
          "ignoring second outcome of task {} ({}), already {}",
          o.taskId(),
          o.status(),
          target.status());
      return;
    }
    batch =
        batch.withTarget(
            i,
            target.withOutcome(
                o.status(),
                Limits.cut(o.postId(), Limits.MAX_POST_ID_CHARS),
                Limits.cut(o.uri(), Limits.MAX_URI_CHARS),
                capped(o.error())));
    batches.targetClosed(batch, i, record.timestamp(), record.timestamp());
    if (batch.allTargetsClosed()) {
      batches.complete(fingerprint, batch, record.timestamp(), record.timestamp());
    } else {
      batches.save(fingerprint, batch);
    }
  }

  /**
   * Sends an outcome read off its fingerprint's partition on to it, or dead-letters it when it was
   * sent on before; false when this is its partition.
   */
  private boolean sentOn(Record<String, Inbound> record, TargetOutcome o) {
    int home = ActionKeys.partition(record.key(), config.partitions());
    if (home == partition) {
      return false;
    }
    Header from = record.headers().lastHeader(Inbound.REROUTED_HEADER);
    if (from == null) {
      LOG.warn(
          "outcome of task {} was read on partition {}, its fingerprint's partition is {}: sent on"
              + " there. Outcomes must be partitioned by murmur2 of the key, as Kafka's Java"
              + " producer does (librdkafka: partitioner=murmur2_random)",
          Limits.echo(o.taskId()),
          partition,
          home);
      RecordHeaders headers = new RecordHeaders();
      headers.add(Inbound.REROUTED_HEADER, DeadLetterHeaders.utf8(Integer.toString(partition)));
      context.forward(
          new Record<>(record.key(), new Emission.Reroute(o), record.timestamp(), headers));
      return true;
    }
    String message =
        "outcome of task "
            + Limits.echo(o.taskId())
            + " was sent on from partition "
            + Limits.echo(new String(from.value(), StandardCharsets.UTF_8))
            + " and read again on partition "
            + partition
            + ", not its fingerprint's partition "
            + home
            + " of "
            + config.partitions();
    LOG.warn("dead-lettering: {}", message);
    context.forward(
        new Record<>(
            "",
            new Emission.DeadLetter(
                ByteString.copyOf(DeadLetterHeaders.utf8(record.key())),
                ByteString.copyOf(Json.write(o))),
            record.timestamp(),
            DeadLetterHeaders.of(
                record.headers(), "misrouted_outcome", message, context.recordMetadata())));
    return true;
  }

  private static TargetError capped(TargetError e) {
    if (e == null) {
      return null;
    }
    return new TargetError(
        Limits.cut(e.code(), Limits.MAX_ERROR_CODE_CHARS),
        Limits.cut(e.message(), Limits.MAX_ERROR_MESSAGE_CHARS),
        e.retryable());
  }
}

package dev.letmepost.ledger;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.Command;
import dev.letmepost.command.CommandReader;
import dev.letmepost.command.Limits;
import dev.letmepost.command.UnreadableCommandException;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.LmpHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a raw post command can be addressed at all. A readable batch action goes on keyed
 * by the batch id it names (to {@link DecideAction}); any other readable one goes on keyed by its
 * fingerprint, so that every retry of it meets the same replay record whatever key the producer
 * chose; an unreadable one becomes a dead letter with error headers. A post command that is already
 * in the partition of its fingerprint (its producer keyed it by the fingerprint with Kafka's
 * default partitioner, as the gateway does) is a {@link Parsed.LocalPost}, decided in this task
 * without the repartition: one Kafka record and one commit less on its way. A readable one whose
 * body is over {@link Limits#MAX_BODY_BYTES} is answered {@code 413 body_too_large} here, before it
 * is repartitioned: nothing the ledger derives from it could fit under the record ceiling.
 *
 * <p>A dead letter keeps the original value unless value and headers together would pass {@link
 * Limits#MAX_RECORD_BYTES} (a record near the broker's limit): then it keeps the first bytes and
 * says so in {@value #TRUNCATED_HEADER}, so that no dead letter can fail to be written.
 */
final class ParseCommand implements Processor<byte[], byte[], String, Parsed> {
  private static final Logger LOG = LoggerFactory.getLogger(ParseCommand.class);
  static final int PAYLOAD_TOO_LARGE = 413;

  /** Dead letter: the original value's length when the dead letter holds only its first bytes. */
  static final String TRUNCATED_HEADER = "lmp-error-truncated-from";

  private final int partitions;
  private ProcessorContext<String, Parsed> context;

  /**
   * @param partitions the partitions of the by-fingerprint repartition ({@link
   *     LedgerConfig#partitions()})
   */
  ParseCommand(int partitions) {
    this.partitions = partitions;
  }

  @Override
  public void init(ProcessorContext<String, Parsed> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    String source = context.recordMetadata().map(ParseCommand::source).orElse("unknown");
    try {
      var command = CommandReader.read(record.headers(), record.value(), source);
      if (command.body().size() > Limits.MAX_BODY_BYTES) {
        answerTooLarge(command, record.timestamp());
        return;
      }
      var action = BatchAction.parse(command.method(), command.path());
      if (action.isPresent()) {
        context.forward(
            new Record<>(
                action.get().batchId(),
                new Parsed.Action(command),
                record.timestamp(),
                new RecordHeaders()));
        return;
      }
      boolean local =
          ActionKeys.partition(command.fingerprint(), partitions) == context.taskId().partition();
      context.forward(
          new Record<>(
              command.fingerprint(),
              local ? new Parsed.LocalPost(command) : new Parsed.Post(command),
              record.timestamp(),
              new RecordHeaders()));
    } catch (UnreadableCommandException e) {
      LOG.warn("dead-lettering command at {}: {}", source, e.getMessage());
      Headers headers = new RecordHeaders(record.headers().toArray());
      headers.add(LmpHeaders.ERROR_CODE, utf8(e.code()));
      headers.add(LmpHeaders.ERROR_MESSAGE, utf8(e.getMessage()));
      context
          .recordMetadata()
          .ifPresent(
              m -> {
                headers.add(LmpHeaders.ERROR_TOPIC, utf8(m.topic()));
                headers.add(LmpHeaders.ERROR_PARTITION, utf8(Integer.toString(m.partition())));
                headers.add(LmpHeaders.ERROR_OFFSET, utf8(Long.toString(m.offset())));
              });
      Parsed.DeadLetter dead =
          new Parsed.DeadLetter(
              record.key() == null ? null : ByteString.copyOf(record.key()),
              fitted(record.key(), record.value(), headers));
      context.forward(new Record<>("", dead, record.timestamp(), headers));
    }
  }

  private void answerTooLarge(Command c, long timestamp) {
    LOG.warn(
        "answering 413 to request {}: body of {} bytes is over the limit of {}",
        c.requestId(),
        c.body().size(),
        Limits.MAX_BODY_BYTES);
    ByteString body =
        Answers.error(
            "body_too_large",
            "the request body is "
                + c.body().size()
                + " bytes, larger than the limit of "
                + Limits.MAX_BODY_BYTES
                + " bytes; nothing was recorded or published");
    Headers h = Batches.headers(c.requestId(), PAYLOAD_TOO_LARGE, false, Decisions.echoKey(c));
    context.forward(new Record<>(c.requestId(), new Parsed.Reply(body), timestamp, h));
  }

  /** The value a dead letter can carry: all of it, or its first bytes when it would not fit. */
  private static ByteString fitted(byte[] key, byte[] value, Headers headers) {
    if (value == null) {
      return null;
    }
    int overhead = key == null ? 0 : key.length;
    for (var h : headers) {
      overhead += h.key().length() + (h.value() == null ? 0 : h.value().length) + 16;
    }
    int room = Limits.MAX_RECORD_BYTES - overhead;
    if (value.length <= room) {
      return ByteString.copyOf(value);
    }
    headers.add(TRUNCATED_HEADER, utf8(Integer.toString(value.length)));
    return ByteString.copyOf(value, 0, Math.max(0, room - 64));
  }

  private static String source(RecordMetadata m) {
    return m.topic() + "/" + m.partition() + "/" + m.offset();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

package dev.letmepost.ledger;

import dev.letmepost.command.CommandReader;
import dev.letmepost.command.UnreadableCommandException;
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
 * Decides whether a raw post command can be addressed at all. A readable one goes on keyed by its
 * fingerprint, so that every retry of it meets the same replay record whatever key the producer
 * chose; an unreadable one becomes a dead letter with error headers.
 */
final class ParseCommand implements Processor<byte[], byte[], String, Parsed> {
  private static final Logger LOG = LoggerFactory.getLogger(ParseCommand.class);
  private ProcessorContext<String, Parsed> context;

  @Override
  public void init(ProcessorContext<String, Parsed> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    String source = context.recordMetadata().map(ParseCommand::source).orElse("unknown");
    try {
      var command = CommandReader.read(record.headers(), record.value(), source);
      context.forward(
          new Record<>(
              command.fingerprint(),
              Parsed.command(command),
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
      context.forward(
          new Record<>(
              "", Parsed.deadLetter(record.key(), record.value()), record.timestamp(), headers));
    }
  }

  private static String source(RecordMetadata m) {
    return m.topic() + "/" + m.partition() + "/" + m.offset();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

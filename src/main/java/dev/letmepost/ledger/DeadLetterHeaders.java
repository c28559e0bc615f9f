package dev.letmepost.ledger;

import dev.letmepost.wire.LmpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The headers of a dead letter the ledger writes (docs/contract.md#dead-letters): the original
 * record's headers, the error's code and message, and where the record was read.
 */
final class DeadLetterHeaders {
  private DeadLetterHeaders() {}

  static Headers of(
      Headers original, String code, String message, Optional<RecordMetadata> source) {
    Headers headers = new RecordHeaders(original.toArray());
    headers.add(LmpHeaders.ERROR_CODE, utf8(code));
    headers.add(LmpHeaders.ERROR_MESSAGE, utf8(message));
    source.ifPresent(
        m -> {
          headers.add(LmpHeaders.ERROR_TOPIC, utf8(m.topic()));
          headers.add(LmpHeaders.ERROR_PARTITION, utf8(Integer.toString(m.partition())));
          headers.add(LmpHeaders.ERROR_OFFSET, utf8(Long.toString(m.offset())));
        });
    return headers;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

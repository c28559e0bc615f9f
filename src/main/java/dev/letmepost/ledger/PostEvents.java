package dev.letmepost.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.letmepost.command.Hashing;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The lifecycle events the ledger writes to the post-events topic (docs/contract.md#events): one
 * per state change of a batch, forwarded by the processor that makes the change, so that it is
 * committed in the same Kafka Streams transaction as the replay record it reports.
 *
 * <p>Data: {@code {"batch": <envelope>}} for {@code batch.*}; {@code {"batchId", "targetIndex",
 * "target": <the envelope's result entry>}} for {@code target.*}.
 */
final class PostEvents {
  /*
   * The embedded envelope and result entry are the bytes the ledger already rendered (the
   * envelope of the answer, the result entry as Envelope.Result serializes it), spliced in as raw
   * JSON rather than parsed back into a tree: cheap, and byte for byte what the results topic and
   * GET /v1/batches/{id} show by construction. Json writes valid UTF-8 (a lone surrogate is
   * escaped), so the String round trip of RawValue is lossless.
   *
   * Size: an event value is its embedded envelope (or one result entry) plus less than 2 KB: id
   * (36 bytes), type, time, batch id, field names, and a principal of at most 256 characters (at
   * most 6 bytes each once escaped). The envelope's worst case: 25 results, each an account id of
   * at most 128 characters (no control characters, so at most 3 bytes each) and outcome fields cut
   * to Limits (post id 512, URI 2,048, error code 64, message 1,024 characters, plus the cut's
   * "...(n chars)" suffix) at 6 bytes a character when every one is a control character: about
   * 23 KB per result, 0.58 MB in all, well under MAX_RECORD_BYTES (1,000,000).
   * LedgerEventsTest.theLargestEventsStayUnderTheRecordCeiling builds that batch.
   */

  /** The record header naming the event type, so a consumer can filter without parsing. */
  static final String TYPE_HEADER = "lmp-event-type";

  private PostEvents() {}

  /**
   * The event id: {@code evt_} + the first 32 hex digits of SHA-256 over "lmp-event", the batch id,
   * the type and the target index (empty for a batch event), each length-prefixed ({@link
   * Hashing#lengthPrefixed}). A pure function of what changed, so a re-processed change (after a
   * crash, an aborted transaction) carries the same id.
   */
  static String id(String batchId, String type, Integer targetIndex) {
    return id(batchId, type, targetIndex, null);
  }

  /**
   * The id of an event that can happen more than once to a batch ({@code batch.rescheduled}):
   * {@code change} (the action's record key) is hashed as a fifth field, so each reschedule has its
   * own id and a re-processed one the same.
   */
  static String id(String batchId, String type, Integer targetIndex, String change) {
    String index = targetIndex == null ? "" : Integer.toString(targetIndex);
    byte[] digest =
        change == null
            ? Hashing.lengthPrefixed("lmp-event", batchId, type, index)
            : Hashing.lengthPrefixed("lmp-event", batchId, type, index, change);
    return "evt_" + Hashing.hex(digest).substring(0, 32);
  }

  /** A {@code batch.*} event carrying {@code envelope}, the batch as it stands after the change. */
  static PostEvent batch(String type, LedgerRecord batch, ByteString envelope, long at) {
    return batch(type, batch, envelope, at, null);
  }

  /**
   * A {@code batch.*} event that may happen more than once: {@link #id(String, String, Integer,
   * String)}.
   */
  static PostEvent batch(
      String type, LedgerRecord batch, ByteString envelope, long at, String change) {
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.set("batch", raw(envelope.toUtf8String()));
    return new PostEvent(
        id(batch.batchId(), type, null, change),
        type,
        Rfc3339.format(at),
        batch.principal(),
        batch.batchId(),
        data);
  }

  /** The {@code target.*} event of target {@code index} of {@code batch}, which just closed. */
  static PostEvent target(LedgerRecord batch, int index, long at) {
    LedgerRecord.TargetState t = batch.targets().get(index);
    String type = targetType(t.status());
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.put("batchId", batch.batchId());
    data.put("targetIndex", index);
    data.set(
        "target",
        raw(new String(Json.write(Answers.result(t, Answers.PENDING)), StandardCharsets.UTF_8)));
    return new PostEvent(
        id(batch.batchId(), type, index),
        type,
        Rfc3339.format(at),
        batch.principal(),
        batch.batchId(),
        data);
  }

  static String targetType(TargetOutcome.Status status) {
    if (status == null) {
      throw new IllegalArgumentException("an open target has no event");
    }
    return switch (status) {
      case published -> PostEvent.TARGET_PUBLISHED;
      case failed -> PostEvent.TARGET_FAILED;
      case unknown -> PostEvent.TARGET_UNKNOWN;
    };
  }

  /** The record of {@code event}: key batch id, header {@value #TYPE_HEADER}. */
  static Record<String, Emission> record(PostEvent event, long timestamp) {
    Headers headers = new RecordHeaders();
    headers.add(TYPE_HEADER, event.type().getBytes(StandardCharsets.UTF_8));
    return new Record<>(event.batchId(), new Emission.Event(event), timestamp, headers);
  }

  /**
   * The bytes of the rendered JSON (envelope or result entry) {@code event} embeds, the bulk of its
   * value: the rest is under {@link Batches#RECORD_OVERHEAD_BYTES}. Counted from the embedded
   * strings, without serializing the event.
   */
  static long embeddedBytes(PostEvent event) {
    long bytes = 0;
    for (JsonNode field : event.data()) {
      if (field instanceof POJONode pojo && pojo.getPojo() instanceof RawValue raw) {
        bytes += Batches.jsonBytes(String.valueOf(raw.rawValue()));
      } else {
        bytes += field.isTextual() ? Batches.jsonBytes(field.textValue()) : 32;
      }
    }
    return bytes;
  }

  private static JsonNode raw(String json) {
    return Json.MAPPER.getNodeFactory().rawValueNode(new RawValue(json));
  }
}

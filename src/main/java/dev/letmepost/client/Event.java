package dev.letmepost.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * One lifecycle event of a batch (docs/contract.md#events), as the events topic carries it (key the
 * batch id, header {@link Headers#EVENT_TYPE}) and, without principal and batch id in the body, as
 * a webhook delivers it. A {@code batch.*} event carries the envelope ({@link BatchEvent}), a
 * {@code target.*} event one target's result ({@link TargetEvent}); a type this client does not
 * know reads as {@link Unrecognized}, with its data as JSON.
 *
 * <p>Read the topic with {@code isolation.level=read_committed}, deduplicate by {@link #id()} (a
 * re-processed change carries the same id) and order by partition offset, not by {@link
 * #createdAt()}.
 */
public sealed interface Event {
  String BATCH_ACCEPTED = "batch.accepted";
  String BATCH_SCHEDULED = "batch.scheduled";
  String TARGET_PUBLISHED = "target.published";
  String TARGET_FAILED = "target.failed";
  String TARGET_UNKNOWN = "target.unknown";
  String BATCH_COMPLETED = "batch.completed";
  String BATCH_CANCELED = "batch.canceled";
  String BATCH_RESCHEDULED = "batch.rescheduled";

  /** {@code evt_} and 32 hex digits, a pure function of the change. */
  String id();

  /** The wire name, {@code batch.accepted} and so on. */
  String type();

  /** When the change happened (record time, never the ledger's wall clock). */
  Instant createdAt();

  /** The API key id the batch was made for; null in a webhook delivery. */
  String principal();

  String batchId();

  /** A {@code batch.*} event: the batch's envelope after the change. */
  record BatchEvent(
      String id, String type, Instant createdAt, String principal, String batchId, Envelope batch)
      implements Event {}

  /**
   * A {@code target.*} event: a target closed.
   *
   * @param targetIndex the target's index in the envelope's results (request order)
   * @param target its result, byte for byte as the final envelope shows it
   */
  record TargetEvent(
      String id,
      String type,
      Instant createdAt,
      String principal,
      String batchId,
      int targetIndex,
      Envelope.TargetResult target)
      implements Event {}

  /** An event of a type this client does not know (a newer ledger's), its data as JSON. */
  record Unrecognized(
      String id, String type, Instant createdAt, String principal, String batchId, JsonNode data)
      implements Event {}

  /**
   * Reads an event: a value of the events topic or a webhook delivery's body.
   *
   * @throws IllegalArgumentException when {@code json} is not one
   */
  static Event parse(byte[] json) {
    JsonNode root;
    try {
      root = ClientJson.MAPPER.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a valid event JSON value: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("not an event: expected a JSON object");
    }
    String id = text(root, "id");
    String type = text(root, "type");
    if (id == null || type == null || text(root, "createdAt") == null) {
      throw new IllegalArgumentException("not an event: id, type and createdAt are required");
    }
    Instant createdAt = ClientJson.instant(text(root, "createdAt"));
    String principal = text(root, "principal");
    JsonNode data = root.path("data");
    if (type.startsWith("batch.") && data.path("batch").isObject()) {
      Envelope batch = ClientJson.convert(data.get("batch"), Envelope.class);
      return new BatchEvent(
          id,
          type,
          createdAt,
          principal,
          Objects.requireNonNullElse(text(root, "batchId"), batch.id()),
          batch);
    }
    if (type.startsWith("target.")
        && data.path("target").isObject()
        && data.path("targetIndex").canConvertToInt()) {
      return new TargetEvent(
          id,
          type,
          createdAt,
          principal,
          Objects.requireNonNullElse(text(root, "batchId"), text(data, "batchId")),
          data.get("targetIndex").intValue(),
          ClientJson.convert(data.get("target"), Envelope.TargetResult.class));
    }
    return new Unrecognized(id, type, createdAt, principal, text(root, "batchId"), data);
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || !value.isTextual() ? null : value.textValue();
  }

  /**
   * A Kafka deserializer of the events topic's values: null stays null; a value that is no event
   * throws {@link SerializationException} naming the topic.
   */
  static Deserializer<Event> deserializer() {
    return (topic, bytes) -> {
      if (bytes == null) {
        return null;
      }
      try {
        return parse(bytes);
      } catch (IllegalArgumentException e) {
        throw new SerializationException("a value of " + topic + ": " + e.getMessage(), e);
      }
    };
  }
}

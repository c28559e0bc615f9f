package dev.letmepost.ledger;

import dev.letmepost.wire.Json;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * One record of the target-outcomes topic as the ledger reads it, one of: a publisher's outcome, or
 * one of the ledger's own ticks.
 *
 * <p>A tick is how the ledger learns that it has read its outcomes partition up to a point in time:
 * it writes {@code {"tick": <wall clock ms>}} (header {@value #TICK_HEADER}) to the partition it
 * reads, and when the tick comes back every outcome appended before it has been read too (a
 * partition is read in order, and a {@code read_committed} reader stops at an open transaction).
 * Deadlines are closed on ticks, never on the wall clock alone, so a ledger that was down,
 * restoring or lagging takes every outcome written before a deadline before it calls a target
 * unknown.
 */
sealed interface Inbound {
  /** A publisher's outcome of one target. */
  record Outcome(TargetOutcome outcome) implements Inbound {}

  /** A tick the ledger wrote at {@code at} (wall clock) and has now read back. */
  record Tick(long at) implements Inbound {}

  /** Marks a tick on the target-outcomes topic; publishers never write it. */
  String TICK_HEADER = "lmp-ledger-tick";

  /** What the key of a tick starts with; its partition follows. */
  String TICK_KEY_PREFIX = "~ledger-tick/";

  static String tickKey(int partition) {
    return TICK_KEY_PREFIX + partition;
  }

  static byte[] tickValue(long at) {
    return ("{\"tick\":" + at + "}").getBytes(StandardCharsets.UTF_8);
  }

  /** Sends a tick to the partition named in its key: the partition of the task that wrote it. */
  static StreamPartitioner<String, byte[]> tickPartitioner() {
    return (topic, key, value, partitions) ->
        Optional.of(Set.of(Integer.parseInt(key.substring(TICK_KEY_PREFIX.length()))));
  }

  static Serde<Inbound> serde() {
    Deserializer<TargetOutcome> outcomes = Json.serde(TargetOutcome.class).deserializer();
    Deserializer<Inbound> deserializer =
        new Deserializer<>() {
          @Override
          public Inbound deserialize(String topic, byte[] data) {
            return data == null ? null : new Outcome(outcomes.deserialize(topic, data));
          }

          @Override
          public Inbound deserialize(String topic, Headers headers, byte[] data) {
            if (data != null && headers != null && headers.lastHeader(TICK_HEADER) != null) {
              try {
                return new Tick(Json.MAPPER.readTree(data).get("tick").longValue());
              } catch (java.io.IOException | RuntimeException e) {
                throw new SerializationException("malformed ledger tick: " + e.getMessage(), e);
              }
            }
            return deserialize(topic, data);
          }
        };
    return Serdes.serdeFrom(
        (topic, v) ->
            v == null
                ? null
                : v instanceof Tick t ? tickValue(t.at()) : Json.write(((Outcome) v).outcome()),
        deserializer);
  }
}

package dev.letmepost.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** The one JSON mapper of the project and a serde for the contract's JSON records. */
public final class Json {
  /**
   * Strict on input (unknown fields and duplicate keys are errors), compact and stable on output
   * (nulls left out, properties in declaration order; a character outside the Basic Multilingual
   * Plane as its 4 UTF-8 bytes, not as a 12-byte pair of surrogate escapes, so the size budget of
   * {@code command.Limits} holds).
   */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                  .build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private Json() {}

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads {@code bytes} as a {@code type}; a malformed value throws {@link SerializationException}.
   */
  public static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "not a valid " + type.getSimpleName() + " JSON value: " + e.getMessage(), e);
    }
  }

  /** A serde writing and reading {@code type} as JSON; null stays null (tombstones). */
  public static <T> Serde<T> serde(Class<T> type) {
    Serializer<T> ser = (topic, value) -> value == null ? null : write(value);
    Deserializer<T> de = (topic, bytes) -> bytes == null ? null : read(bytes, type);
    return Serdes.serdeFrom(ser, de);
  }
}

package dev.letmepost.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * The client's JSON mapper: compact on output (nulls left out, properties in declaration order, a
 * character outside the Basic Multilingual Plane as its 4 UTF-8 bytes, as the server writes it) and
 * tolerant on input, so that a client keeps reading what a newer ledger writes: unknown fields are
 * ignored, an unknown enum value reads as the enum's {@code UNRECOGNIZED}. Times are RFC 3339
 * strings on the wire and {@link Instant}s here.
 */
final class ClientJson {
  static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_USING_DEFAULT_VALUE)
          .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL)
          .registerModule(
              new SimpleModule("rfc3339")
                  .addSerializer(Instant.class, ToStringSerializer.instance)
                  .addDeserializer(
                      Instant.class,
                      new FromStringDeserializer<>(Instant.class) {
                        @Override
                        protected Instant _deserialize(String value, DeserializationContext c) {
                          return instant(value);
                        }
                      }));

  private ClientJson() {}

  /** An RFC 3339 timestamp with any offset, as an instant. */
  static Instant instant(String rfc3339) {
    try {
      return OffsetDateTime.parse(rfc3339).toInstant();
    } catch (DateTimeException e) {
      throw new IllegalArgumentException("not an RFC 3339 timestamp: '" + rfc3339 + "'", e);
    }
  }

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads {@code bytes} as a {@code type}.
   *
   * @throws IllegalArgumentException naming the type and the parser's complaint
   */
  static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "not a valid " + type.getSimpleName() + " JSON value: " + e.getMessage(), e);
    }
  }

  /**
   * Binds a parsed tree to a {@code type}.
   *
   * @throws IllegalArgumentException naming the type and the binder's complaint
   */
  static <T> T convert(JsonNode tree, Class<T> type) {
    try {
      return MAPPER.treeToValue(tree, type);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "not a valid " + type.getSimpleName() + " JSON value: " + e.getMessage(), e);
    }
  }
}

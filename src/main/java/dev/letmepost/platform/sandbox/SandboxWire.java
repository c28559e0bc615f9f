package dev.letmepost.platform.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The sandbox's wire shapes: one record per JSON body that its server, its connector and {@code
 * posts.jsonl} exchange, so each shape is defined once and both sides read and write it.
 *
 * <p>A post line of {@code posts.jsonl} is {@link SandboxPlatform.AcceptedPost}; a post body of
 * {@code media} is {@link PublishTask.Media}.
 */
final class SandboxWire {
  /*
   * Writing is Jackson's alone (Json.MAPPER: nulls left out, components in declaration order), so
   * the bytes on the wire follow from these records. Reading is strict where the sandbox judges
   * input (the server's post body, posts.jsonl): the caller checks the JSON tree first, each check
   * naming the field and the value it got, and only then binds the checked tree to its record.
   * The connector reads answers leniently (unknown fields ignored, as a client should) but still
   * refuses a number or boolean where the shape has a string.
   */

  private SandboxWire() {}

  /**
   * The body of {@code POST /v1/accounts/{accountId}/posts}: a task's content. {@code text} and
   * {@code firstComment} may be null; {@code media} is never null and left out when empty.
   */
  record PostRequest(
      String taskId,
      String batchId,
      String platform,
      String text,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Media> media,
      String firstComment) {
    /** The fields of a post body, in order. */
    static final List<String> FIELDS = fields(PostRequest.class);

    /** The fields of one element of {@code media}, in order. */
    static final List<String> MEDIA_FIELDS = fields(Media.class);

    PostRequest {
      media = media == null ? List.of() : List.copyOf(media);
    }

    static PostRequest of(PublishTask task) {
      return new PostRequest(
          task.taskId(),
          task.batchId(),
          task.platform(),
          task.text(),
          task.media(),
          task.firstComment());
    }
  }

  /**
   * A post as the server answers it. A publish answers {@code id, uri, publishedAt, replayed}; a
   * lookup by key answers {@code id, uri, publishedAt} and the post's {@code accountId, platform,
   * taskId, batchId}. The components a kind of answer does not have are null, and left out.
   */
  record PostAnswer(
      String id,
      String uri,
      String publishedAt,
      Boolean replayed,
      String accountId,
      String platform,
      String taskId,
      String batchId) {
    /** The answer to a publish. */
    static PostAnswer published(SandboxPlatform.SandboxPost post) {
      return new PostAnswer(
          post.postId(),
          post.uri(),
          post.publishedAt().toString(),
          post.duplicate(),
          null,
          null,
          null,
          null);
    }

    /** The answer to a lookup by key. */
    static PostAnswer found(SandboxPlatform.AcceptedPost post) {
      return new PostAnswer(
          post.postId(),
          post.uri(),
          post.publishedAt().toString(),
          null,
          post.accountId(),
          post.platform(),
          post.taskId(),
          post.batchId());
    }
  }

  /** Every error answer: {@code {"error":{"code","message"}}}. */
  record ErrorAnswer(Problem error) {
    record Problem(String code, String message) {}

    ErrorAnswer {
      Objects.requireNonNull(error, "error");
    }

    static ErrorAnswer of(String code, String message) {
      return new ErrorAnswer(new Problem(code, message));
    }
  }

  /** The answer of {@code GET /healthz}. */
  record Health(String status) {
    static final Health OK = new Health("ok");
  }

  /** Reads an {@link Instant} from its RFC 3339 text; writing uses {@link Instant#toString()}. */
  static final class InstantText extends StdScalarDeserializer<Instant> {
    private static final long serialVersionUID = 1L;

    InstantText() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser parser, DeserializationContext context)
        throws IOException {
      String text = parser.getValueAsString();
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException | NullPointerException e) {
        return (Instant)
            context.handleWeirdStringValue(Instant.class, text, "not an RFC 3339 instant");
      }
    }
  }

  /** Binds a JSON tree its caller has already checked; ignores fields the record does not have. */
  static <T> T bind(JsonNode checked, Class<T> type) {
    try {
      return LENIENT.treeToValue(checked, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
    }
  }

  /** {@code body} as a {@code type}, or empty when it is not one (a client reading an answer). */
  static <T> Optional<T> readAnswer(String body, Class<T> type) {
    if (body == null || body.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(LENIENT.readValue(body, type));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Json.MAPPER, ignoring unknown fields and never turning a number or boolean into a string. */
  private static final ObjectMapper LENIENT = lenient();

  private static ObjectMapper lenient() {
    ObjectMapper mapper =
        Json.MAPPER.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    mapper
        .coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    return mapper;
  }

  private static List<String> fields(Class<? extends Record> type) {
    return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
  }
}

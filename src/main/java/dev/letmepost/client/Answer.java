package dev.letmepost.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The ledger's answer to one request (docs/contract.md#result-headers): status and flags from the
 * result headers (or their HTTP counterparts), the exact body bytes from the value. The body is a
 * batch {@link #envelope()} or an {@link #error()}; a replay's body is byte for byte the first
 * answer's.
 *
 * @param requestId the request's correlation id; null only for an error the HTTP gateway answered
 *     itself, before there was a request (a bad API key, an unreadable body)
 * @param status the HTTP-style status
 * @param replayed true when the answer is the recorded one of an earlier request (a replay)
 * @param idempotencyKey null when the request had none
 * @param batchId null for an answer without batch (most errors)
 * @param keyExpires when the replay record expires, RFC 3339 as the ledger wrote it; null when the
 *     answer has none
 * @param body the exact body bytes, kept (not copied: do not change them)
 */
public record Answer(
    String requestId,
    int status,
    boolean replayed,
    String idempotencyKey,
    String batchId,
    String keyExpires,
    byte[] body) {

  public Answer {
    Objects.requireNonNull(body, "body");
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException(
          "answer to " + requestId + " has status " + status + ", not an HTTP status");
    }
  }

  /**
   * The answer a record of the results topic carries (key the request id).
   *
   * @throws IllegalArgumentException when it has no key or no {@code lmp-status} header
   */
  public static Answer of(ConsumerRecord<String, byte[]> r) {
    String status = header(r, Headers.STATUS);
    if (r.key() == null || status == null) {
      throw new IllegalArgumentException(
          "record "
              + r.topic()
              + "/"
              + r.partition()
              + "/"
              + r.offset()
              + " is no answer: it has no "
              + (r.key() == null ? "key" : Headers.STATUS + " header"));
    }
    return new Answer(
        r.key(),
        Integer.parseInt(status),
        Boolean.parseBoolean(header(r, Headers.REPLAYED)),
        header(r, Headers.IDEMPOTENCY_KEY),
        header(r, Headers.BATCH_ID),
        header(r, Headers.KEY_EXPIRES),
        r.value() == null ? new byte[0] : r.value());
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Whether the status is 2xx: a batch was recorded, changed or replayed. */
  public boolean ok() {
    return status / 100 == 2;
  }

  /** The body as UTF-8 text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** {@link #keyExpires()} as an instant, or empty. */
  public Optional<Instant> keyExpiresAt() {
    return Optional.ofNullable(keyExpires).map(ClientJson::instant);
  }

  /** The batch envelope, when the body is one (any answer with a batch: 200, 201, 202, 207). */
  public Optional<Envelope> envelope() {
    JsonNode root = tree();
    return root != null && "batch".equals(root.path("object").asText(null))
        ? Optional.of(ClientJson.convert(root, Envelope.class))
        : Optional.empty();
  }

  /** The error, when the body is one (4xx and 5xx). */
  public Optional<ApiError> error() {
    JsonNode root = tree();
    return root != null && root.path("error").has("code")
        ? Optional.of(ClientJson.convert(root.get("error"), ApiError.class))
        : Optional.empty();
  }

  /** The body as a JSON tree, or null when it is not JSON. */
  private JsonNode tree() {
    try {
      return ClientJson.MAPPER.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  /** Equal when every component is, the body compared by content. */
  @Override
  public boolean equals(Object other) {
    return other instanceof Answer o
        && Objects.equals(requestId, o.requestId)
        && status == o.status
        && replayed == o.replayed
        && Objects.equals(idempotencyKey, o.idempotencyKey)
        && Objects.equals(batchId, o.batchId)
        && Objects.equals(keyExpires, o.keyExpires)
        && Arrays.equals(body, o.body);
  }

  @Override
  public int hashCode() {
    return 31 * Objects.hash(requestId, status, replayed, idempotencyKey, batchId, keyExpires)
        + Arrays.hashCode(body);
  }

  /** The components, the body as its length only. */
  @Override
  public String toString() {
    return "Answer[requestId="
        + requestId
        + ", status="
        + status
        + ", replayed="
        + replayed
        + ", idempotencyKey="
        + idempotencyKey
        + ", batchId="
        + batchId
        + ", keyExpires="
        + keyExpires
        + ", body=byte["
        + body.length
        + "]]";
  }
}

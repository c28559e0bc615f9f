package dev.letmepost.client;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One command as the commands topic carries it (docs/contract.md#command-headers): who asks ({@code
 * principal}), under which idempotency key, with which request id, and the {@link Request}. {@link
 * #toRecord} is the one writer of a command record; the ledger reads it with {@code
 * command.CommandReader}.
 *
 * @param principal the id of the API key the command acts for (never the secret)
 * @param idempotencyKey null for a command without replay protection
 * @param requestId the correlation id its answer carries on the results topic
 */
public record Command(String principal, String idempotencyKey, String requestId, Request request) {

  public Command {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(request, "request");
    if (principal.isBlank()) {
      throw new IllegalArgumentException("principal must not be blank");
    }
    if (requestId.isBlank()) {
      throw new IllegalArgumentException("requestId must not be blank");
    }
  }

  /** {@code request} for {@code principal} under {@code idempotencyKey} (null: none), a new id. */
  public static Command of(String principal, String idempotencyKey, Request request) {
    return new Command(principal, idempotencyKey, newRequestId(), request);
  }

  /** A new request id: {@code req_} and a random UUID, as the gateway makes them. */
  public static String newRequestId() {
    return "req_" + UUID.randomUUID();
  }

  /**
   * The command's {@link Fingerprint}; null without idempotency key (the ledger derives that one
   * from where it read the record, {@link Fingerprint#ofKeyless}).
   */
  public String fingerprint() {
    return idempotencyKey == null
        ? null
        : Fingerprint.of(principal, request.method(), request.path(), idempotencyKey);
  }

  /**
   * The record key: the {@link #fingerprint()} when the command has an idempotency key, so that
   * Kafka's default partitioner puts it in the partition the ledger keeps its replay record in and
   * the ledger decides it without the repartition hop (docs/contract.md#topics), and every retry
   * lands in the same partition; else the request id (a keyless command's fingerprint depends on
   * where it is written, unknown before).
   */
  public String recordKey() {
    return idempotencyKey == null ? requestId : fingerprint();
  }

  /**
   * The record of this command on {@code topic}: key {@link #recordKey()}, value the exact body
   * bytes, headers {@code lmp-principal}, {@code lmp-request-id}, {@code lmp-method}, {@code
   * lmp-path} and, when there is one, {@code idempotency-key} ({@link IdempotencyKeys#headerValue}:
   * bare, or an sf-string when the key starts with a double quote).
   */
  public ProducerRecord<byte[], byte[]> toRecord(String topic) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(Headers.PRINCIPAL, utf8(principal));
    headers.add(Headers.REQUEST_ID, utf8(requestId));
    headers.add(Headers.METHOD, utf8(request.method()));
    headers.add(Headers.PATH, utf8(request.path()));
    if (idempotencyKey != null) {
      headers.add(Headers.IDEMPOTENCY_KEY, utf8(IdempotencyKeys.headerValue(idempotencyKey)));
    }
    return new ProducerRecord<>(topic, null, null, utf8(recordKey()), request.bodyBytes(), headers);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

package dev.letmepost.client;

import com.fasterxml.jackson.annotation.JsonEnumDefaultValue;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * The batch envelope (docs/contract.md#the-batch-envelope): the body of a batch answer, of {@code
 * GET /v1/batches/{id}} and of the {@code batch.*} events, read with {@link #parse}. Fields a newer
 * ledger adds are ignored; a status it adds reads {@code UNRECOGNIZED}.
 *
 * @param scheduledAt null unless the batch was scheduled
 * @param completedAt null until every target has an outcome
 * @param canceledAt null unless the batch was canceled
 * @param retryOf the batch whose failed targets this one retries, or null
 * @param retries the batch that retries this one (at most one), or empty
 * @param results one per requested target, in request order
 */
public record Envelope(
    String id,
    String object,
    BatchStatus status,
    Instant createdAt,
    Instant scheduledAt,
    Instant completedAt,
    Instant canceledAt,
    String retryOf,
    List<String> retries,
    List<TargetResult> results) {

  public Envelope {
    retries = retries == null ? List.of() : List.copyOf(retries);
    results = results == null ? List.of() : List.copyOf(results);
  }

  /** A batch's state. */
  public enum BatchStatus {
    /** Every target published (HTTP 201). */
    @JsonProperty("published")
    PUBLISHED,
    /** Some targets published (207). */
    @JsonProperty("partial_failed")
    PARTIAL_FAILED,
    /** No target published (207). */
    @JsonProperty("failed")
    FAILED,
    /** Accepted for later (202). */
    @JsonProperty("scheduled")
    SCHEDULED,
    /** Released, some targets still open (reads only). */
    @JsonProperty("running")
    RUNNING,
    /** A scheduled batch canceled before its release. */
    @JsonProperty("canceled")
    CANCELED,
    /** A status this client does not know (a newer ledger's). */
    @JsonEnumDefaultValue
    UNRECOGNIZED
  }

  /** A target's state. */
  public enum TargetStatus {
    @JsonProperty("published")
    PUBLISHED,
    @JsonProperty("failed")
    FAILED,
    /** The platform may or may not have the post: check before posting again. */
    @JsonProperty("unknown")
    UNKNOWN,
    /** Open, in a running batch (reads only). */
    @JsonProperty("pending")
    PENDING,
    /** Open, in a batch that waits for its time. */
    @JsonProperty("scheduled")
    SCHEDULED,
    @JsonProperty("canceled")
    CANCELED,
    /** A status this client does not know (a newer ledger's). */
    @JsonEnumDefaultValue
    UNRECOGNIZED
  }

  /**
   * One target's result.
   *
   * @param platform the platform's wire name ({@code bluesky})
   * @param postId the platform's id of the post, when published
   * @param uri where the post is, when published
   * @param error why it did not publish, or null
   */
  public record TargetResult(
      String accountId,
      String platform,
      TargetStatus status,
      String postId,
      String uri,
      TargetError error) {}

  /**
   * Why a target did not publish: a stable code, a message naming the offending value, and for
   * platform failures whether retrying the batch ({@link Request#retry}) could succeed.
   *
   * @param retryable null when the code says nothing about it
   */
  public record TargetError(String code, String message, Boolean retryable) {}

  /**
   * Reads an envelope.
   *
   * @throws IllegalArgumentException when {@code json} is not one
   */
  public static Envelope parse(byte[] json) {
    return ClientJson.read(json, Envelope.class);
  }
}

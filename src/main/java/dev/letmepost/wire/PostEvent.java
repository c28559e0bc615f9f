package dev.letmepost.wire;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One lifecycle event of a batch, the value of the post-events topic (docs/contract.md): written by
 * the ledger in the same transaction as the state change it reports, keyed by batch id so that one
 * batch's events stay in order. {@code id} is a pure function of the batch, the type and the
 * target, so a consumer can deduplicate. The webhook body is this without {@code principal} and
 * {@code batchId}: {@code {"id","type","createdAt","data"}}.
 */
public record PostEvent(
    String id, String type, String createdAt, String principal, String batchId, JsonNode data) {

  /** The event types, by their wire names. */
  public static final String BATCH_ACCEPTED = "batch.accepted";

  public static final String BATCH_SCHEDULED = "batch.scheduled";
  public static final String TARGET_PUBLISHED = "target.published";
  public static final String TARGET_FAILED = "target.failed";
  public static final String TARGET_UNKNOWN = "target.unknown";
  public static final String BATCH_COMPLETED = "batch.completed";

  /** A scheduled batch canceled before its release (batch actions); nothing is published. */
  public static final String BATCH_CANCELED = "batch.canceled";

  /** A scheduled batch moved to another {@code scheduledAt} (batch actions). */
  public static final String BATCH_RESCHEDULED = "batch.rescheduled";

  public PostEvent {
    Account.requireText(id, "id");
    Account.requireText(type, "type");
    Account.requireText(createdAt, "createdAt");
    Account.requireText(principal, "principal");
    Account.requireText(batchId, "batchId");
    Objects.requireNonNull(data, "data");
  }
}

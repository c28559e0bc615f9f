package dev.letmepost.ledger;

import dev.letmepost.command.FieldError;
import dev.letmepost.http.Envelope;
import dev.letmepost.http.ErrorBody;
import dev.letmepost.http.Rfc3339;
import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.TargetOutcome;
import java.util.List;

/**
 * The response bodies the ledger answers with: the batch envelope
 * (docs/contract.md#the-batch-envelope) and the error bodies, rendered as the HTTP contract's
 * {@link Envelope} and {@link ErrorBody}. Each is rendered to bytes once; a replay re-sends those
 * bytes.
 */
final class Answers {
  static final int PUBLISHED = 201;
  static final int ACCEPTED = 202;
  static final int MULTI_STATUS = 207;
  static final int BAD_REQUEST = 400;
  static final int NOT_FOUND = 404;
  static final int CONFLICT = 409;

  /** A key reused with another body (draft-ietf-httpapi-idempotency-key-header: 422). */
  static final int UNPROCESSABLE = 422;

  static final int INTERNAL_ERROR = 500;
  static final int UNAVAILABLE = 503;

  /** Batch state of a released batch that still has open targets (reads only). */
  static final String RUNNING = "running";

  /** Batch state of a batch held until its {@code scheduledAt}; also its open targets' status. */
  static final String SCHEDULED = "scheduled";

  /** Status of a batch canceled before its release, and of its targets that were still open. */
  static final String CANCELED = "canceled";

  static final int OK = 200;

  /** Status of an open target of a running batch (reads only). */
  static final String PENDING = "pending";

  private Answers() {}

  /** The batch status a set of closed targets adds up to. */
  static String batchStatus(List<LedgerRecord.TargetState> targets) {
    long published =
        targets.stream().filter(t -> t.status() == TargetOutcome.Status.published).count();
    if (published == targets.size()) {
      return "published";
    }
    return published == 0 ? "failed" : "partial_failed";
  }

  /** 201 when every target published, 207 (look at each result) otherwise. */
  static int httpStatus(String batchStatus) {
    return batchStatus.equals("published") ? PUBLISHED : MULTI_STATUS;
  }

  /**
   * The state a batch is in: {@code canceled}, {@code scheduled}, {@code running}, or once every
   * target has an outcome its final status ({@link #batchStatus}).
   */
  static String state(LedgerRecord r) {
    if (r.canceled()) {
      return CANCELED;
    }
    if (r.complete()) {
      return batchStatus(r.targets());
    }
    return r.released() ? RUNNING : SCHEDULED;
  }

  /** The envelope of {@code record} as it stands: {@link #state}, open targets named after it. */
  static ByteString current(LedgerRecord r) {
    String state = state(r);
    return envelope(r, state, r.canceled() ? CANCELED : r.released() ? PENDING : SCHEDULED);
  }

  /** The envelope of {@code record}; open targets render as "scheduled". */
  static ByteString envelope(LedgerRecord record, String status) {
    return envelope(record, status, SCHEDULED);
  }

  /** The envelope of {@code record}, open targets rendered with {@code openTargetStatus}. */
  static ByteString envelope(LedgerRecord record, String status, String openTargetStatus) {
    List<Envelope.Result> results =
        record.targets().stream().map(t -> result(t, openTargetStatus)).toList();
    return ByteString.copyOf(
        Json.write(
            new Envelope(
                record.batchId(),
                "batch",
                status,
                Rfc3339.format(record.firstSeen()),
                record.scheduledAt() == null ? null : Rfc3339.format(record.scheduledAt()),
                record.completedAt() == null ? null : Rfc3339.format(record.completedAt()),
                record.canceledAt() == null ? null : Rfc3339.format(record.canceledAt()),
                record.retryOf(),
                record.retriedBy() == null ? null : List.of(record.retriedBy()),
                results)));
  }

  /** One target's entry of the envelope; an open target shows {@code openTargetStatus}. */
  static Envelope.Result result(LedgerRecord.TargetState t, String openTargetStatus) {
    return new Envelope.Result(
        t.accountId(),
        t.platform(),
        t.status() == null ? openTargetStatus : t.status().name(),
        t.postId(),
        t.uri(),
        t.error());
  }

  static ByteString error(String code, String message) {
    return ByteString.copyOf(ErrorBody.of(code, message));
  }

  static ByteString preflightFailed(List<FieldError> errors) {
    return ByteString.copyOf(
        ErrorBody.of(
            "preflight_failed",
            "the request body failed validation ("
                + errors.size()
                + (errors.size() == 1 ? " error)" : " errors)"),
            errors));
  }
}

package dev.letmepost.command;

import java.util.Objects;
import java.util.Optional;

/**
 * A batch action as a command addresses it (docs/contract.md#batch-actions): {@code DELETE
 * /v1/batches/{id}} cancels, {@code PATCH /v1/batches/{id}} reschedules, {@code POST
 * /v1/batches/{id}/retry} retries the failed retryable targets. {@link #parse} reads one from a
 * command's method and path; {@link #method()} and {@link #path()} write it.
 */
public record BatchAction(Kind kind, String batchId) {
  /** An id longer than this names no batch (a batch id is 32 characters). */
  public static final int MAX_BATCH_ID_CHARS = 200;

  private static final String PREFIX = "/v1/batches/";
  private static final String RETRY_SUFFIX = "/retry";

  /** The three actions, by the HTTP method and path shape that name them. */
  public enum Kind {
    CANCEL("DELETE", "cancel"),
    RESCHEDULE("PATCH", "reschedule"),
    RETRY("POST", "retry");

    private final String method;
    private final String verb;

    Kind(String method, String verb) {
      this.method = method;
      this.verb = verb;
    }

    public String method() {
      return method;
    }

    /** The action's name in messages: {@code cancel}, {@code reschedule}, {@code retry}. */
    public String verb() {
      return verb;
    }
  }

  public BatchAction {
    Objects.requireNonNull(kind, "kind");
    if (batchId == null
        || batchId.isEmpty()
        || batchId.length() > MAX_BATCH_ID_CHARS
        || batchId.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "a batch id is 1-"
              + MAX_BATCH_ID_CHARS
              + " characters without '/', got '"
              + Limits.echo(batchId)
              + "'");
    }
  }

  public String method() {
    return kind.method();
  }

  public String path() {
    return PREFIX + batchId + (kind == Kind.RETRY ? RETRY_SUFFIX : "");
  }

  /**
   * The action {@code method} {@code path} names, or empty when they name none (exact method and
   * path: {@code DELETE /v1/batches/b}, {@code PATCH /v1/batches/b}, {@code POST
   * /v1/batches/b/retry}, the id 1-{@value #MAX_BATCH_ID_CHARS} characters without {@code /}).
   */
  public static Optional<BatchAction> parse(String method, String path) {
    if (!path.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String rest = path.substring(PREFIX.length());
    Kind kind;
    String id;
    if (method.equals(Kind.RETRY.method()) && rest.endsWith(RETRY_SUFFIX)) {
      kind = Kind.RETRY;
      id = rest.substring(0, rest.length() - RETRY_SUFFIX.length());
    } else if (method.equals(Kind.CANCEL.method())) {
      kind = Kind.CANCEL;
      id = rest;
    } else if (method.equals(Kind.RESCHEDULE.method())) {
      kind = Kind.RESCHEDULE;
      id = rest;
    } else {
      return Optional.empty();
    }
    if (id.isEmpty() || id.length() > MAX_BATCH_ID_CHARS || id.indexOf('/') >= 0) {
      return Optional.empty();
    }
    return Optional.of(new BatchAction(kind, id));
  }
}

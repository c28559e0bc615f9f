package dev.letmepost.client;

import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Idempotency keys: their format rule (1 to {@value #MAX_LENGTH} printable ASCII characters, the
 * rule's one home; {@code command.IdempotencyKeys} applies it on the server) and keys derived from
 * the ids an upstream system already has, so that a retried workflow step reuses its key.
 */
public final class IdempotencyKeys {
  public static final int MAX_LENGTH = 128;

  /** The prefix of a {@link #fromUpstream derived} key. */
  static final String PREFIX = "up_";

  /**
   * Hashed first, so that a derived key never equals a hash of the same ids made for another use.
   */
  private static final String DOMAIN = "lmp-upstream-key";

  private static final HexFormat HEX = HexFormat.of();

  private IdempotencyKeys() {}

  /** Why {@code key} is not a valid idempotency key, or empty when it is. */
  public static Optional<String> problem(String key) {
    if (key.isEmpty()) {
      return Optional.of("Idempotency-Key must not be empty");
    }
    if (key.length() > MAX_LENGTH) {
      return Optional.of(
          "Idempotency-Key must be at most " + MAX_LENGTH + " characters, got " + key.length());
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return Optional.of(
            String.format(
                "Idempotency-Key must be printable ASCII; character %d is U+%04X", i, (int) c));
      }
    }
    return Optional.empty();
  }

  /**
   * The key of one step of an upstream workflow: {@code up_} + hex SHA-256 of the workflow id and
   * the step, each length-prefixed (67 characters, always a valid key). The same workflow and step
   * give the same key on every retry, whatever the ids hold, and no two (workflow, step) pairs
   * share one.
   *
   * <p>Pass ids that stay the same across retries of the step (a workflow run id, an order id, a
   * step name), never an attempt number or a time: a key that changes on retry is a new request,
   * and the post goes out again.
   */
  public static String fromUpstream(String workflowId, String step) {
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(step, "step");
    return PREFIX + HEX.formatHex(Fingerprint.lengthPrefixed(DOMAIN, workflowId, step));
  }
}

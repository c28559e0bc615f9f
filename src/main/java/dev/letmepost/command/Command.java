package dev.letmepost.command;

import dev.letmepost.wire.ByteString;
import java.util.Objects;

/**
 * A post command after its headers were read: who asks, under which idempotency key, and the exact
 * body bytes. The body is not parsed here; the ledger parses it once, and only for a request it has
 * not seen.
 *
 * @param fingerprint hex SHA-256 of principal, method, path and idempotency key (the replay
 *     record's key)
 * @param idempotencyKey the key its header names, decoded from its sf-string; null when the command
 *     has none (no replay protection) or its header names none ({@code keyProblem})
 * @param bodySha256 hex SHA-256 of {@code body}
 * @param keyProblem why the command's idempotency-key header names no valid key (answered {@code
 *     400 invalid_idempotency_key}); null when it names one or is absent
 */
public record Command(
    String requestId,
    String principal,
    String method,
    String path,
    String idempotencyKey,
    String fingerprint,
    String bodySha256,
    ByteString body,
    String keyProblem) {

  public Command {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(bodySha256, "bodySha256");
    Objects.requireNonNull(body, "body");
  }
}

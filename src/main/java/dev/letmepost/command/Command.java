package dev.letmepost.command;

import java.util.Arrays;
import java.util.Objects;

/**
 * A post command after its headers were read: who asks, under which idempotency key, and the exact
 * body bytes. The body is not parsed here; the ledger parses it once, and only for a request it has
 * not seen.
 *
 * @param fingerprint hex SHA-256 of principal, method, path and idempotency key (the replay
 *     record's key)
 * @param idempotencyKey null when the command has none (no replay protection)
 * @param bodySha256 hex SHA-256 of {@code body}
 */
public record Command(
    String requestId,
    String principal,
    String method,
    String path,
    String idempotencyKey,
    String fingerprint,
    String bodySha256,
    byte[] body) {

  public Command {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(fingerprint, "fingerprint");
    Objects.requireNonNull(bodySha256, "bodySha256");
    Objects.requireNonNull(body, "body");
  }

  /** Compares the bytes by content (a record's own equals compares arrays by identity). */
  @Override
  public boolean equals(Object other) {
    return other instanceof Command o
        && Objects.equals(requestId, o.requestId)
        && Objects.equals(principal, o.principal)
        && Objects.equals(method, o.method)
        && Objects.equals(path, o.path)
        && Objects.equals(idempotencyKey, o.idempotencyKey)
        && Objects.equals(fingerprint, o.fingerprint)
        && Objects.equals(bodySha256, o.bodySha256)
        && Arrays.equals(body, o.body);
  }

  @Override
  public int hashCode() {
    int h =
        Objects.hash(requestId, principal, method, path, idempotencyKey, fingerprint, bodySha256);
    h = 31 * h + Arrays.hashCode(body);
    return h;
  }

  /** The components, bytes as their length only. */
  @Override
  public String toString() {
    return "Command[requestId="
        + requestId
        + ", principal="
        + principal
        + ", method="
        + method
        + ", path="
        + path
        + ", idempotencyKey="
        + idempotencyKey
        + ", fingerprint="
        + fingerprint
        + ", bodySha256="
        + bodySha256
        + ", body="
        + Bytes.describe(body)
        + "]";
  }
}

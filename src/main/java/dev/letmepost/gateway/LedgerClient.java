package dev.letmepost.gateway;

import java.util.concurrent.CompletableFuture;

/** How the gateway hands a command to the ledger and gets its answer. */
public interface LedgerClient {
  /**
   * Produces the command {@code method} {@code path} (docs/contract.md#command-headers, body bytes
   * unchanged) and returns the answer to {@code requestId} when it arrives on the results topic.
   * The caller cancels the future when it stops waiting.
   */
  CompletableFuture<LedgerAnswer> submit(
      String requestId,
      String principal,
      String idempotencyKey,
      String method,
      String path,
      byte[] body);
}

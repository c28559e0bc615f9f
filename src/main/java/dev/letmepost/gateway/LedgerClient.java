package dev.letmepost.gateway;

import dev.letmepost.client.Answer;
import dev.letmepost.client.Command;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** How the gateway hands a command to the ledger and gets its answer. */
public interface LedgerClient {
  /**
   * Produces {@code command} (docs/contract.md#command-headers, body bytes unchanged) and returns
   * the answer to its request id when it arrives on the results topic, or fails with a {@link
   * java.util.concurrent.TimeoutException} at {@code deadline}. The caller cancels the future when
   * it stops waiting.
   */
  CompletableFuture<Answer> submit(Command command, Duration deadline);

  /**
   * Produces {@code command} without awaiting its answer (a request that does not wait: its answer
   * is read later from the ledger's request index). The future ends when the send does.
   */
  CompletableFuture<Void> send(Command command);
}

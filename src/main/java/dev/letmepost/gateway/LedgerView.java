package dev.letmepost.gateway;

import dev.letmepost.ledger.BatchView;
import dev.letmepost.ledger.DryRun;
import dev.letmepost.ledger.RequestView;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the gateway reads from the ledger: whether it runs, the stores this instance hosts, and
 * where the other instances are. The lookups answer only for local partitions; a dry run reads the
 * global accounts store, which every instance holds whole.
 */
public interface LedgerView {
  /** True while the ledger instance is RUNNING. */
  boolean running();

  Optional<BatchView> liveRecord(String fingerprint, Instant now);

  Optional<BatchView> batch(String batchId);

  Optional<RequestView> request(String requestId);

  /**
   * The base URL of the instance that hosts this fingerprint's replay record, or empty when it is
   * this instance (or the owner is not known, in which case the local answer is the best there is).
   */
  Optional<URI> ownerOf(String fingerprint);

  /**
   * The dry run of a post of {@code body} by {@code principal} at {@code now} ({@link DryRun}):
   * answered here whatever the principal, since the accounts it reads are in every instance.
   */
  DryRun.Verdict validate(String principal, byte[] body, Instant now);

  /** The base URLs of every other instance of the ledger. */
  List<URI> peers();
}

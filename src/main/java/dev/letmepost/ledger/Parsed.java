package dev.letmepost.ledger;

import dev.letmepost.command.Command;
import dev.letmepost.wire.ByteString;

/**
 * The outcome of reading a raw command, one of: a {@link Command} to decide (a post, or a batch
 * action routed by its batch id), an answer given at once (its headers ride on the record), or a
 * dead letter. Never serialized: the topology sends each kind on its way ({@link LedgerTopology}).
 */
sealed interface Parsed {
  /** A post command to repartition by its fingerprint. */
  record Post(Command command) implements Parsed {}

  /**
   * A post command read in the partition its fingerprint belongs to (the producer keyed it by its
   * fingerprint, as the gateway does): this task holds its replay record, so it is decided here
   * without the by-fingerprint repartition.
   */
  record LocalPost(Command command) implements Parsed {}

  /** A batch action, keyed by the batch id it names, for {@link DecideAction}. */
  record Action(Command command) implements Parsed {}

  /** An answer's exact body bytes. */
  record Reply(ByteString body) implements Parsed {}

  /**
   * An unreadable command's original key and value (or the value's first bytes); either may be
   * null.
   */
  record DeadLetter(ByteString key, ByteString value) implements Parsed {}
}

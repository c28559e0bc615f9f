package dev.letmepost.ledger;

import dev.letmepost.wire.ByteString;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;

/**
 * What a ledger processor sends downstream, one of: an answer for the results topic (its headers
 * ride on the record), a publish task for a platform topic, a tick for the ledger's own outcomes
 * partition ({@link Inbound}) or a lifecycle event for the events topic ({@link PostEvents}). Never
 * serialized: the topology sends each kind to its topic ({@link LedgerTopology}).
 */
sealed interface Emission {
  /** An answer's exact body bytes. */
  record Reply(ByteString body) implements Emission {}

  /** A publish task, with its content and deadline. */
  record Task(PublishTask task) implements Emission {}

  /** A tick written at {@code at} (wall clock). */
  record Tick(long at) implements Emission {}

  /** A lifecycle event. */
  record Event(PostEvent event) implements Emission {}
}

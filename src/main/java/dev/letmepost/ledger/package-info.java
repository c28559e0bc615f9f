/**
 * The ledger: the Kafka Streams topology that decides each command once ({@link
 * dev.letmepost.ledger.LedgerTopology}, a pure builder, run by {@link
 * dev.letmepost.ledger.LedgerApp} under {@code exactly_once_v2}). It owns the dedup decision and
 * the replay records: {@link dev.letmepost.ledger.DecideRequest} answers a post command from its
 * fingerprint's live replay record (conflict, replay byte for byte, or wait) or starts a new batch,
 * {@link dev.letmepost.ledger.DecideAction} decides a batch action in the task that holds the
 * batch, {@link dev.letmepost.ledger.FoldOutcome} folds the publishers' outcomes into the batch and
 * answers, and {@link dev.letmepost.ledger.LiveRecord} is the one rule for which {@link
 * dev.letmepost.ledger.LedgerRecord} a request meets, on the broker times {@link
 * dev.letmepost.ledger.LedgerClock} keeps. The gateway reads the same stores through {@link
 * dev.letmepost.ledger.LedgerReads}, so a read and a decision agree. Depends on {@code command},
 * {@code http} and {@code wire} only.
 */
package dev.letmepost.ledger;

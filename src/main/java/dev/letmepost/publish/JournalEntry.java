package dev.letmepost.publish;

import dev.letmepost.wire.PublishTask;
import java.util.Objects;

/**
 * One attempt in progress, as a publisher journals it before calling the platform: the value of the
 * publisher journal topic, keyed by task id. A null value (tombstone) means the task has its
 * outcome.
 *
 * @param mayHaveReachedPlatform false only when every call made so far provably did nothing (a task
 *     handed over on a rebalance before its first call, or after NotSent answers only): the next
 *     owner may then publish it; true means the next owner must reconcile
 * @param journaledAt epoch ms
 * @param firstAttemptAt epoch ms no later than the task's first platform call, or null when none
 *     was made
 * @param handedOver true when the holder wrote this entry on a clean hand-over, having stopped its
 *     calls for the task while no earlier owner could still be calling it: the next owner may go on
 *     at once. False (the conservative entry journaled before the first call, or an entry from a
 *     worker that was itself still waiting out an earlier owner): the next owner waits until every
 *     call an earlier owner may have started can have ended
 */
public record JournalEntry(
    PublishTask task,
    boolean mayHaveReachedPlatform,
    String holder,
    long journaledAt,
    Long firstAttemptAt,
    boolean handedOver) {
  public JournalEntry {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(holder, "holder");
  }
}

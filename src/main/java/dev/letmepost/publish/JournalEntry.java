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
 */
public record JournalEntry(
    PublishTask task,
    boolean mayHaveReachedPlatform,
    String holder,
    long journaledAt,
    Long firstAttemptAt) {
  public JournalEntry {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(holder, "holder");
  }
}

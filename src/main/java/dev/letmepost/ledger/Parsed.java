package dev.letmepost.ledger;

import dev.letmepost.command.Bytes;
import dev.letmepost.command.Command;
import java.util.Arrays;
import java.util.Objects;

/**
 * The outcome of reading a raw command: a {@link Command} to decide (a post, or a batch action
 * routed by its batch id), an answer given at once (its headers ride on the record), or a dead
 * letter. Never serialized.
 *
 * @param local a post command read in the partition its fingerprint belongs to (the producer keyed
 *     it by its fingerprint, as the gateway does): this task holds its replay record, so it is
 *     decided here without the by-fingerprint repartition
 */
record Parsed(
    Command command,
    byte[] originalKey,
    byte[] originalValue,
    byte[] reply,
    boolean action,
    boolean local) {
  Parsed(Command command, byte[] originalKey, byte[] originalValue, byte[] reply) {
    this(command, originalKey, originalValue, reply, false, false);
  }

  /** A batch action, keyed by the batch id it names, for {@link DecideAction}. */
  static Parsed action(Command command) {
    return new Parsed(command, null, null, null, true, false);
  }

  /** A post command to repartition by its fingerprint. */
  static Parsed command(Command command) {
    return new Parsed(command, null, null, null);
  }

  /** A post command already in its fingerprint's partition, decided in this task. */
  static Parsed local(Command command) {
    return new Parsed(command, null, null, null, false, true);
  }

  static Parsed deadLetter(byte[] key, byte[] value) {
    return new Parsed(null, key, value, null);
  }

  static Parsed reply(byte[] body) {
    return new Parsed(null, null, null, body);
  }

  boolean isDeadLetter() {
    return command == null && reply == null;
  }

  boolean isReply() {
    return reply != null;
  }

  /** Compares the bytes by content (a record's own equals compares arrays by identity). */
  @Override
  public boolean equals(Object other) {
    return other instanceof Parsed o
        && Objects.equals(command, o.command)
        && action == o.action
        && local == o.local
        && Arrays.equals(originalKey, o.originalKey)
        && Arrays.equals(originalValue, o.originalValue)
        && Arrays.equals(reply, o.reply);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(command, action, local);
    h = 31 * h + Arrays.hashCode(originalKey);
    h = 31 * h + Arrays.hashCode(originalValue);
    h = 31 * h + Arrays.hashCode(reply);
    return h;
  }

  /** The components, bytes as their length only. */
  @Override
  public String toString() {
    return "Parsed[command="
        + command
        + ", originalKey="
        + Bytes.describe(originalKey)
        + ", originalValue="
        + Bytes.describe(originalValue)
        + ", reply="
        + Bytes.describe(reply)
        + ", action="
        + action
        + ", local="
        + local
        + "]";
  }
}

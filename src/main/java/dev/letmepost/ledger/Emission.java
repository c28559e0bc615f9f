package dev.letmepost.ledger;

import dev.letmepost.command.Bytes;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a ledger processor sends downstream: an answer for the results topic (its headers ride on
 * the record), a publish task for a platform topic, a tick for the ledger's own outcomes partition
 * ({@link Inbound}) or a lifecycle event for the events topic ({@link PostEvents}). Never
 * serialized.
 */
record Emission(byte[] reply, PublishTask task, byte[] tick, PostEvent event) {

  static Emission reply(byte[] body) {
    return new Emission(body, null, null, null);
  }

  static Emission task(PublishTask task) {
    return new Emission(null, task, null, null);
  }

  static Emission tick(long at) {
    return new Emission(null, null, Inbound.tickValue(at), null);
  }

  static Emission event(PostEvent event) {
    return new Emission(null, null, null, event);
  }

  boolean isEvent() {
    return event != null;
  }

  boolean isTask() {
    return task != null;
  }

  boolean isTick() {
    return tick != null;
  }

  /** Compares the bytes by content (a record's own equals compares arrays by identity). */
  @Override
  public boolean equals(Object other) {
    return other instanceof Emission o
        && Arrays.equals(reply, o.reply)
        && Objects.equals(task, o.task)
        && Arrays.equals(tick, o.tick)
        && Objects.equals(event, o.event);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(task, event);
    h = 31 * h + Arrays.hashCode(reply);
    h = 31 * h + Arrays.hashCode(tick);
    return h;
  }

  /** The components, bytes as their length only. */
  @Override
  public String toString() {
    return "Emission[reply="
        + Bytes.describe(reply)
        + ", task="
        + task
        + ", tick="
        + Bytes.describe(tick)
        + ", event="
        + event
        + "]";
  }
}

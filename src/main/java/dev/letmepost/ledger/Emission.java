package dev.letmepost.ledger;

import dev.letmepost.wire.PublishTask;

/**
 * What a ledger processor sends downstream: an answer for the results topic (its headers ride on
 * the record), a publish task for a platform topic, or a tick for the ledger's own outcomes
 * partition ({@link Inbound}). Never serialized.
 */
record Emission(byte[] reply, PublishTask task, byte[] tick) {
  static Emission reply(byte[] body) {
    return new Emission(body, null, null);
  }

  static Emission task(PublishTask task) {
    return new Emission(null, task, null);
  }

  static Emission tick(long at) {
    return new Emission(null, null, Inbound.tickValue(at));
  }

  boolean isTask() {
    return task != null;
  }

  boolean isTick() {
    return tick != null;
  }
}

package dev.letmepost.ledger;

import dev.letmepost.wire.PublishTask;

/**
 * What a ledger processor sends downstream: either an answer for the results topic (its headers
 * ride on the record) or a publish task for a platform topic. Never serialized.
 */
record Emission(byte[] reply, PublishTask task) {
  static Emission reply(byte[] body) {
    return new Emission(body, null);
  }

  static Emission task(PublishTask task) {
    return new Emission(null, task);
  }

  boolean isTask() {
    return task != null;
  }
}

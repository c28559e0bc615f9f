package dev.letmepost.ledger;

import dev.letmepost.command.Command;

/**
 * The outcome of reading a raw command: a {@link Command} to decide, an answer given at once (its
 * headers ride on the record), or a dead letter. Never serialized.
 */
record Parsed(Command command, byte[] originalKey, byte[] originalValue, byte[] reply) {
  static Parsed command(Command command) {
    return new Parsed(command, null, null, null);
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
}

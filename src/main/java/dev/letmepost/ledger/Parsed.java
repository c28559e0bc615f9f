package dev.letmepost.ledger;

import dev.letmepost.command.Command;

/** The outcome of reading a raw command: a {@link Command}, or a dead letter. Never serialized. */
record Parsed(Command command, byte[] originalKey, byte[] originalValue) {
  static Parsed command(Command command) {
    return new Parsed(command, null, null);
  }

  static Parsed deadLetter(byte[] key, byte[] value) {
    return new Parsed(null, key, value);
  }

  boolean isDeadLetter() {
    return command == null;
  }
}

package dev.letmepost.command;

/** A post command the ledger cannot address an answer to; it goes to the dead letters. */
public final class UnreadableCommandException extends RuntimeException {
  private final String code;

  public UnreadableCommandException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  /** A stable machine code, written to the dead letter's error headers. */
  public String code() {
    return code;
  }
}

package dev.letmepost.webhook;

/** A webhook request refused: the HTTP status, the error code and a message naming the value. */
public final class WebhookException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String code;

  public WebhookException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}

package dev.letmepost.publish;

/**
 * The stable error codes a publisher writes into target outcomes; docs/publishers.md lists which
 * connector uses which.
 */
public final class ErrorCodes {
  /** 429 or an exhausted rate-limit budget: nothing was posted (retryable). */
  public static final String RATE_LIMITED = "rate_limited";

  /** Connection refused, DNS failure, 503: the platform was not reached or did nothing. */
  public static final String PLATFORM_UNAVAILABLE = "platform_unavailable";

  /** Read timeout or lost connection after sending: the post may exist (leads to reconcile). */
  public static final String PLATFORM_TIMEOUT = "platform_timeout";

  /** A 5xx after the request was sent: the post may exist (leads to reconcile). */
  public static final String PLATFORM_ERROR = "platform_error";

  /** A 2xx whose body cannot be read: the post probably exists (leads to reconcile). */
  public static final String MALFORMED_RESPONSE = "malformed_response";

  /** Credentials missing, unreadable, revoked or expired (401, or 403 for auth). */
  public static final String ACCOUNT_DISCONNECTED = "account_disconnected";

  /**
   * The account's endpoint or webhook URL points where the publisher may not call (a private,
   * loopback or link-local address, or plain http): nothing was sent.
   */
  public static final String ENDPOINT_NOT_ALLOWED = "endpoint_not_allowed";

  /** The account was removed, or is not on this worker's platform. */
  public static final String ACCOUNT_NOT_FOUND = "account_not_found";

  /** The platform refused the content (4xx validation): retrying will not help. */
  public static final String REJECTED_BY_PLATFORM = "rejected_by_platform";

  /**
   * The task has content this connector cannot send (media a platform only takes as an upload, a
   * first comment it cannot post as a reply): nothing was posted.
   */
  public static final String UNSUPPORTED_CONTENT = "unsupported_content";

  /** The platform counts the text as too long. */
  public static final String TEXT_TOO_LONG = "text_too_long";

  /** The platform refused the post as a duplicate of one the worker did not make. */
  public static final String DUPLICATE_CONTENT = "duplicate_content";

  /** The task reached the worker after its deadline, or was never attempted in time. */
  public static final String DEADLINE_EXCEEDED = "deadline_exceeded";

  /**
   * The publisher itself failed on the task before any call could have reached the platform (the
   * message names the error): nothing was posted.
   */
  public static final String PUBLISHER_ERROR = "publisher_error";

  /** The post may or may not exist. */
  public static final String OUTCOME_UNKNOWN = "outcome_unknown";

  private ErrorCodes() {}
}

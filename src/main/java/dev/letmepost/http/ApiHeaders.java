package dev.letmepost.http;

import dev.letmepost.client.Headers;

/**
 * Names of the HTTP headers of the API (docs/http-api.md, "Headers"), as the gateway writes them:
 * the HTTP-side counterparts of the record headers in {@link dev.letmepost.wire.LmpHeaders}. Those
 * of the contract are {@link Headers.Http}'s (their one home).
 */
public final class ApiHeaders {
  /** Response: {@code true} when the answer is a stored one. */
  public static final String REPLAYED = Headers.Http.REPLAYED;

  /** Request and response: the client's idempotency key. */
  public static final String IDEMPOTENCY_KEY = Headers.Http.IDEMPOTENCY_KEY;

  /** Response: when the key's replay record expires, RFC 3339 ({@link Rfc3339}). */
  public static final String KEY_EXPIRES = Headers.Http.KEY_EXPIRES;

  /** Response: the request's correlation id. */
  public static final String REQUEST_ID = Headers.Http.REQUEST_ID;

  /** Response: the batch the answer is about. */
  public static final String BATCH_ID = Headers.Http.BATCH_ID;

  /** Request, between gateway instances: a forwarded read, answered locally only. */
  public static final String FORWARDED = "Lmp-Forwarded";

  public static final String CONTENT_TYPE = "Content-Type";
  public static final String AUTHORIZATION = "Authorization";
  public static final String LOCATION = "Location";
  public static final String RETRY_AFTER = "Retry-After";
  public static final String LINK = "Link";

  /** The media type of every API body. */
  public static final String JSON = "application/json";

  private ApiHeaders() {}
}

package dev.letmepost.client;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * What a command asks the ledger: an HTTP-style method and path and the exact body bytes
 * (docs/contract.md#command-headers): a post, or one of the batch actions
 * (docs/contract.md#batch-actions). The fingerprint covers method and path, so one idempotency key
 * used for two requests is two records.
 */
public final class Request {
  private static final String BATCHES = "/v1/batches/";

  private final String method;
  private final String path;
  private final byte[] body;

  /**
   * A request as given.
   *
   * @param body the exact bytes, kept as they are (copied)
   */
  public Request(String method, String path, byte[] body) {
    this.method = Objects.requireNonNull(method, "method");
    this.path = Objects.requireNonNull(path, "path");
    this.body = Objects.requireNonNull(body, "body").clone();
  }

  /** {@code POST /v1/posts} with {@code post}'s JSON. */
  public static Request post(Post post) {
    return post(post.toJson());
  }

  /** {@code POST /v1/posts} with these exact body bytes (a body made elsewhere, sent unchanged). */
  public static Request post(byte[] body) {
    return new Request(Headers.DEFAULT_METHOD, Headers.DEFAULT_PATH, body);
  }

  /** {@code DELETE /v1/batches/{id}}: cancels a scheduled batch. */
  public static Request cancel(String batchId) {
    return new Request("DELETE", BATCHES + batchId(batchId), new byte[0]);
  }

  /** {@code PATCH /v1/batches/{id}} with {@code {"scheduledAt"}}: moves a scheduled batch. */
  public static Request reschedule(String batchId, Instant scheduledAt) {
    return new Request(
        "PATCH",
        BATCHES + batchId(batchId),
        ClientJson.write(Map.of("scheduledAt", Objects.requireNonNull(scheduledAt, "at"))));
  }

  /** {@code POST /v1/batches/{id}/retry}: retries a done batch's retryable failed targets. */
  public static Request retry(String batchId) {
    return new Request("POST", BATCHES + batchId(batchId) + "/retry", new byte[0]);
  }

  private static String batchId(String batchId) {
    if (batchId == null || batchId.isEmpty() || batchId.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "a batch id is a non-empty string without '/', got '" + batchId + "'");
    }
    return batchId;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  /** A copy of the exact body bytes. */
  public byte[] body() {
    return body.clone();
  }

  /** The body without a copy, for the codecs of this package. */
  byte[] bodyBytes() {
    return body;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Request r
        && r.method.equals(method)
        && r.path.equals(path)
        && Arrays.equals(r.body, body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(method, path) * 31 + Arrays.hashCode(body);
  }

  /** Method, path and the body's length, never its content. */
  @Override
  public String toString() {
    return method + " " + path + " (" + body.length + " bytes)";
  }
}

package dev.letmepost.gateway;

import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.ErrorBody;
import io.javalin.http.Context;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway's backend once attached, and who is asking: every API route first gets the backend
 * (503 while the gateway is starting) and the caller's principal (401, or 503 while the keys load).
 */
final class Access {
  /**
   * An authenticated caller: its principal and the backend its request is answered from.
   *
   * @param keyRequired whether its writes must carry an {@code Idempotency-Key} ({@link
   *     ApiKeyRecord#requiresIdempotencyKey})
   */
  record Caller(Gateway.Backend backend, String principal, boolean keyRequired) {}

  private static final byte[] UNAUTHORIZED =
      ErrorBody.of("unauthorized", "a valid API key is required: Authorization: Bearer <api key>");

  private final AtomicReference<Gateway.Backend> backend = new AtomicReference<>();

  /** Attaches the backend, once. */
  void attach(Gateway.Backend b) {
    if (!backend.compareAndSet(null, Objects.requireNonNull(b, "backend"))) {
      throw new IllegalStateException("the gateway is already attached");
    }
  }

  /** The backend, or null before {@link #attach}. */
  Gateway.Backend get() {
    return backend.get();
  }

  /**
   * Who is asking, with the backend to answer from; null after answering 503 (the gateway is
   * starting, or the keys are loading) or 401 ({@link #authenticate}).
   */
  Caller caller(Context ctx) {
    Gateway.Backend b = backend.get();
    if (b == null) {
      Responses.unavailable(ctx, "the gateway is starting");
      return null;
    }
    ApiKeyRecord key = authenticate(ctx, b);
    return key == null ? null : new Caller(b, key.principal(), key.requiresIdempotencyKey());
  }

  /**
   * The record of the request's bearer key, or null after answering 401: a missing, malformed,
   * unknown or revoked key all get the same answer. While the keys are still loading (the key topic
   * not yet read up to its end as of start-up) no key is answered at all, {@code 503} with {@code
   * Retry-After}: a key not known yet may be valid, and a key that reads active may be revoked
   * further on in the topic.
   */
  private static ApiKeyRecord authenticate(Context ctx, Gateway.Backend b) {
    if (!b.keysReady().getAsBoolean()) {
      Responses.unavailable(ctx, "the API keys are still loading");
      return null;
    }
    List<String> values = Collections.list(ctx.req().getHeaders(ApiHeaders.AUTHORIZATION));
    Optional<ApiKeyRecord> key = Optional.empty();
    if (values.size() == 1) {
      String v = values.get(0);
      if (v.length() > 7 && v.regionMatches(true, 0, "Bearer ", 0, 7)) {
        key = b.keys().activeFor(v.substring(7).trim());
      }
    }
    if (key.isEmpty()) {
      ctx.status(401)
          .header("WWW-Authenticate", "Bearer")
          .contentType(ApiHeaders.JSON)
          .result(UNAUTHORIZED);
      return null;
    }
    return key.get();
  }
}

package dev.letmepost.gateway;

import dev.letmepost.client.IdempotencyKeys.HeaderKey;
import dev.letmepost.command.IdempotencyKeys;
import dev.letmepost.http.ApiHeaders;
import io.javalin.http.Context;
import java.util.Collections;
import java.util.List;

/**
 * The {@code Idempotency-Key} of a request that writes (a post or a batch action): absent, or sent
 * once as an sf-string or the bare key, naming a valid key ({@link IdempotencyKeys#parseHeader});
 * anything else is answered {@code 400 invalid_idempotency_key} naming the problem.
 *
 * @param refused true when the request was answered 400 and must go no further
 * @param key the key (decoded from its sf-string), null when none was sent
 */
record KeyHeader(boolean refused, String key) {

  /** Reads the header of {@code ctx}; answers the 400 itself when it is refused. */
  static KeyHeader read(Context ctx) {
    List<String> keys = Collections.list(ctx.req().getHeaders(ApiHeaders.IDEMPOTENCY_KEY));
    if (keys.size() > 1) {
      Responses.error(
          ctx,
          400,
          "invalid_idempotency_key",
          "Idempotency-Key must be sent once, got " + keys.size() + " values");
      return new KeyHeader(true, null);
    }
    if (keys.isEmpty()) {
      return new KeyHeader(false, null);
    }
    HeaderKey parsed = IdempotencyKeys.parseHeader(keys.get(0));
    if (parsed instanceof HeaderKey.Malformed m) {
      Responses.error(ctx, 400, "invalid_idempotency_key", m.problem());
      return new KeyHeader(true, null);
    }
    return new KeyHeader(false, ((HeaderKey.Key) parsed).key());
  }
}

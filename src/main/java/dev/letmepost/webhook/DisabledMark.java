package dev.letmepost.webhook;

import dev.letmepost.wire.Json;
import java.util.Objects;

/**
 * The dispatcher's mark that it disabled an endpoint: a record of {@code lmp.webhook-endpoints}
 * under its own key, {@link #key(String) <endpoint id>/disabled}, beside the endpoint's record
 * (key: its id), which only the endpoint's owner writes and deletes. A mark whose endpoint is not
 * there is ignored (see {@link EndpointRegistry}).
 *
 * @param disabledReason how many failures and the last error
 * @param disabledAt RFC 3339
 */
public record DisabledMark(String endpointId, String disabledReason, String disabledAt) {
  /** What follows the endpoint id in a mark's key. */
  public static final String SUFFIX = "/disabled";

  public DisabledMark {
    Objects.requireNonNull(endpointId, "endpointId");
    Objects.requireNonNull(disabledReason, "disabledReason");
    Objects.requireNonNull(disabledAt, "disabledAt");
  }

  /** The key of {@code endpointId}'s mark. */
  public static String key(String endpointId) {
    return endpointId + SUFFIX;
  }

  /** The endpoint id of a mark's key, or null when {@code key} is not a mark's. */
  static String endpointOf(String key) {
    return key.endsWith(SUFFIX) ? key.substring(0, key.length() - SUFFIX.length()) : null;
  }

  public byte[] toJson() {
    return Json.write(this);
  }

  public static DisabledMark fromJson(byte[] bytes) {
    return Json.read(bytes, DisabledMark.class);
  }
}

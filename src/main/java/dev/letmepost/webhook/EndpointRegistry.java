package dev.letmepost.webhook;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The view of {@code lmp.webhook-endpoints}: endpoint id to {@link WebhookEndpoint}, kept up to
 * date by a {@link dev.letmepost.wire.TopicFollower}; the gateway and the dispatcher each hold one.
 */
public final class EndpointRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistry.class);
  private final Map<String, WebhookEndpoint> byId = new ConcurrentHashMap<>();

  /**
   * Applies one record of the compacted topic: null deletes; a malformed value, or one whose id is
   * not its key, is logged and skipped (the previous value stays).
   */
  public void apply(String id, byte[] value) {
    if (id == null) {
      LOG.warn("ignoring webhook-endpoints record without key");
      return;
    }
    if (value == null) {
      byId.remove(id);
      return;
    }
    try {
      WebhookEndpoint e = WebhookEndpoint.fromJson(value);
      if (!e.id().equals(id)) {
        LOG.warn("ignoring webhook-endpoints record '{}': it holds endpoint '{}'", id, e.id());
        return;
      }
      byId.put(id, e);
    } catch (SerializationException | IllegalArgumentException | NullPointerException e) {
      LOG.warn("ignoring webhook-endpoints record '{}': {}", id, e.getMessage());
    }
  }

  public void put(WebhookEndpoint e) {
    byId.put(e.id(), e);
  }

  public void remove(String id) {
    byId.remove(id);
  }

  public Optional<WebhookEndpoint> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** Every endpoint, oldest first. */
  public List<WebhookEndpoint> all() {
    return byId.values().stream().sorted(OLDEST_FIRST).toList();
  }

  private static final Comparator<WebhookEndpoint> OLDEST_FIRST =
      Comparator.comparingLong(WebhookEndpoint::createdAtMillis).thenComparing(WebhookEndpoint::id);

  /** {@code principal}'s endpoints, oldest first. */
  public List<WebhookEndpoint> of(String principal) {
    return byId.values().stream()
        .filter(e -> e.principal().equals(principal))
        .sorted(OLDEST_FIRST)
        .toList();
  }

  /** How many endpoints are disabled. */
  public long disabled() {
    return byId.values().stream()
        .filter(e -> e.status() == WebhookEndpoint.Status.disabled)
        .count();
  }
}

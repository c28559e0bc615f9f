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
 * date by a {@link dev.letmepost.client.TopicFollower}; the gateway and the dispatcher each hold
 * one.
 */
public final class EndpointRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistry.class);
  private final Map<String, WebhookEndpoint> byId = new ConcurrentHashMap<>();

  /*
   * Who writes what. An endpoint's record (key: its id) is written by its owner only: created
   * once, deleted with a tombstone. The dispatcher never rewrites it: it disables an endpoint by
   * writing a DisabledMark under <id>/disabled. Were the dispatcher to write the disabled endpoint
   * under the id, a delete its view had not caught up with would be undone (the owner deletes, the
   * dispatcher then writes the endpoint back, disabled). Now a mark only applies to an endpoint that
   * is there when the mark is read, in topic order, so a tombstone wins whatever the order: mark
   * then tombstone, the tombstone removes the endpoint; tombstone then mark, the mark finds nothing
   * and is ignored. Compaction keeps that order (a mark is always written after its endpoint), and
   * a mark left without its endpoint is ignored by every reader. Records that hold a disabled
   * endpoint under its id (written by earlier versions) still read as disabled endpoints.
   */

  /**
   * Applies one record of the compacted topic: null deletes; a {@link DisabledMark} disables the
   * endpoint when it is there and is ignored when it is not; a malformed value, or one whose id is
   * not its key, is logged and skipped (the previous value stays).
   */
  public void apply(String id, byte[] value) {
    if (id == null) {
      LOG.warn("ignoring webhook-endpoints record without key");
      return;
    }
    String marked = DisabledMark.endpointOf(id);
    if (marked != null) {
      applyMark(id, marked, value);
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

  private void applyMark(String key, String endpointId, byte[] value) {
    if (value == null) {
      return; // the owner's delete clears the mark after the endpoint: nothing left to change
    }
    DisabledMark m;
    try {
      m = DisabledMark.fromJson(value);
    } catch (SerializationException | IllegalArgumentException | NullPointerException e) {
      LOG.warn("ignoring webhook-endpoints record '{}': {}", key, e.getMessage());
      return;
    }
    if (!m.endpointId().equals(endpointId)) {
      LOG.warn("ignoring webhook-endpoints record '{}': it marks '{}'", key, m.endpointId());
      return;
    }
    // Only an endpoint that is there: a mark never brings back a deleted one.
    byId.computeIfPresent(
        endpointId,
        (k, e) ->
            e.status() == WebhookEndpoint.Status.disabled
                ? e
                : e.disabled(m.disabledReason(), m.disabledAt()));
  }

  /**
   * Disables the endpoint here as {@code m} does once read back; false when the endpoint is not
   * here (deleted) or already disabled.
   */
  public boolean disable(DisabledMark m) {
    boolean[] changed = {false};
    byId.computeIfPresent(
        m.endpointId(),
        (k, e) -> {
          if (e.status() != WebhookEndpoint.Status.enabled) {
            return e;
          }
          changed[0] = true;
          return e.disabled(m.disabledReason(), m.disabledAt());
        });
    return changed[0];
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

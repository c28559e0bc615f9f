package dev.letmepost.webhook;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The latest delivery attempts per endpoint, read from {@code lmp.webhook-deliveries} by a {@link
 * dev.letmepost.client.TopicFollower}: what {@code GET /v1/webhook-endpoints/{id}/deliveries}
 * serves. Keeps the last {@link #PER_ENDPOINT} attempts of each endpoint in memory.
 */
public final class DeliveryLog {
  private static final Logger LOG = LoggerFactory.getLogger(DeliveryLog.class);

  /** How many attempts per endpoint are kept and served. */
  public static final int PER_ENDPOINT = 100;

  private final Map<String, Deque<DeliveryAttempt>> byEndpoint = new ConcurrentHashMap<>();

  public void apply(String endpointId, byte[] value) {
    if (endpointId == null || value == null) {
      return;
    }
    try {
      add(DeliveryAttempt.fromJson(value));
    } catch (SerializationException | IllegalArgumentException | NullPointerException e) {
      LOG.warn("ignoring webhook-deliveries record of '{}': {}", endpointId, e.getMessage());
    }
  }

  public void add(DeliveryAttempt a) {
    Deque<DeliveryAttempt> d = byEndpoint.computeIfAbsent(a.endpointId(), k -> new ArrayDeque<>());
    synchronized (d) {
      d.addFirst(a);
      while (d.size() > PER_ENDPOINT) {
        d.removeLast();
      }
    }
  }

  /** The endpoint's attempts, newest first. */
  public List<DeliveryAttempt> of(String endpointId) {
    Deque<DeliveryAttempt> d = byEndpoint.get(endpointId);
    if (d == null) {
      return List.of();
    }
    synchronized (d) {
      return new ArrayList<>(d);
    }
  }

  /** Forgets a deleted endpoint's attempts. */
  public void forget(String endpointId) {
    byEndpoint.remove(endpointId);
  }
}

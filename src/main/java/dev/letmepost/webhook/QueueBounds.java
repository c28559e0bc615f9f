package dev.letmepost.webhook;

import java.util.HashMap;
import java.util.Map;

/**
 * A count of deliveries and their body bytes, per principal and in all, and the rule of {@link
 * WebhookConfig.Limits} on what the delivery queues may hold: what {@link DeliveryLanes} holds in
 * memory (queued or in progress), or what a {@link Refill} has promised to queue.
 */
final class QueueBounds {
  private static final class Count {
    int entries;
    long bytes;
  }

  private final Map<String, Count> byPrincipal = new HashMap<>();
  private final Count all = new Count();

  /** Counts one delivery of {@code bytes} body bytes of {@code principal}. */
  void add(String principal, long bytes) {
    Count c = byPrincipal.computeIfAbsent(principal, k -> new Count());
    c.entries++;
    c.bytes += bytes;
    all.entries++;
    all.bytes += bytes;
  }

  /** No longer counts one delivery of {@code bytes} body bytes of {@code principal}. */
  void remove(String principal, long bytes) {
    Count c = byPrincipal.get(principal);
    if (c != null) {
      c.entries--;
      c.bytes -= bytes;
      if (c.entries <= 0) {
        byPrincipal.remove(principal);
      }
    }
    all.entries--;
    all.bytes -= bytes;
  }

  /** The deliveries of {@code principal} counted. */
  int entries(String principal) {
    Count c = byPrincipal.get(principal);
    return c == null ? 0 : c.entries;
  }

  /** The deliveries and their body bytes counted in all. */
  long[] all() {
    return new long[] {all.entries, all.bytes};
  }

  /**
   * Whether one more delivery of {@code size} body bytes of {@code principal}, whose endpoint has
   * {@code endpointHeld} already, stays within {@code limits}, counting what this holds.
   */
  boolean fits(WebhookConfig.Limits limits, int endpointHeld, String principal, long size) {
    return fits(limits, endpointHeld, principal, size, new QueueBounds());
  }

  /**
   * As {@link #fits(WebhookConfig.Limits, int, String, long)}, adding what {@code promised} counts.
   */
  boolean fits(
      WebhookConfig.Limits limits,
      int endpointHeld,
      String principal,
      long size,
      QueueBounds promised) {
    Count mine = byPrincipal.getOrDefault(principal, new Count());
    Count more = promised.byPrincipal.getOrDefault(principal, new Count());
    return endpointHeld < limits.queuedPerEndpoint()
        && mine.entries + more.entries < limits.queuedPerPrincipal()
        && mine.bytes + more.bytes + size <= limits.queuedBytesPerPrincipal()
        && all.entries + promised.all.entries < limits.queued()
        && all.bytes + promised.all.bytes + size <= limits.queuedBytes();
  }
}

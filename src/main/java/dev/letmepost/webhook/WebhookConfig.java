package dev.letmepost.webhook;

import dev.letmepost.net.AddressGuard;
import java.time.Duration;
import java.util.Objects;

/**
 * How the dispatcher delivers.
 *
 * @param maxFailures consecutive failed attempts at one endpoint (any events) after which it is
 *     disabled
 * @param requestTimeout the longest one attempt may take, connect to status line
 * @param threads attempts in progress at once, over all endpoints (each endpoint has at most one)
 * @param instanceId this dispatcher's stable id, part of its transactional id: unique per process
 * @param limits what one principal, one endpoint and the whole dispatcher may hold and run
 */
public record WebhookConfig(
    AddressGuard.Policy policy,
    int maxFailures,
    Duration requestTimeout,
    int threads,
    String instanceId,
    Limits limits) {
  public static final int DEFAULT_MAX_FAILURES = 20;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_THREADS = 32;

  /**
   * The dispatcher's bounds. Deliveries past a queue bound are not dropped: they stay in {@code
   * lmp.webhook-pending} only (written there before they are queued) and are read back once the
   * endpoint's queue has room ({@link DeliveryLanes}).
   *
   * @param inFlightPerPrincipal attempts in progress at once for one principal's endpoints (one
   *     endpoint has at most one)
   * @param queuedPerEndpoint deliveries of one endpoint held in memory (queued or in progress)
   * @param queuedPerPrincipal deliveries of one principal's endpoints held in memory
   * @param queuedBytesPerPrincipal body bytes of one principal's deliveries held in memory
   * @param queued deliveries held in memory over all principals
   * @param queuedBytes body bytes held in memory over all principals
   */
  public record Limits(
      int inFlightPerPrincipal,
      int queuedPerEndpoint,
      int queuedPerPrincipal,
      long queuedBytesPerPrincipal,
      int queued,
      long queuedBytes) {
    public static final Limits DEFAULTS = new Limits(4, 256, 1024, 4L << 20, 16_384, 64L << 20);

    public Limits {
      positive("inFlightPerPrincipal", inFlightPerPrincipal);
      positive("queuedPerEndpoint", queuedPerEndpoint);
      positive("queuedPerPrincipal", queuedPerPrincipal);
      positive("queuedBytesPerPrincipal", queuedBytesPerPrincipal);
      positive("queued", queued);
      positive("queuedBytes", queuedBytes);
    }

    private static void positive(String name, long value) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be at least 1, got " + value);
      }
    }
  }

  public WebhookConfig {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(instanceId, "instanceId");
    Objects.requireNonNull(limits, "limits");
    if (maxFailures < 1) {
      throw new IllegalArgumentException("maxFailures must be at least 1, got " + maxFailures);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive, got " + requestTimeout);
    }
    if (!instanceId.matches("[A-Za-z0-9._-]{1,200}")) {
      throw new IllegalArgumentException(
          "instance id may hold only letters, digits, '.', '_' and '-', got '" + instanceId + "'");
    }
  }

  public static WebhookConfig defaults(AddressGuard.Policy policy, String instanceId) {
    return new WebhookConfig(
        policy,
        DEFAULT_MAX_FAILURES,
        DEFAULT_REQUEST_TIMEOUT,
        DEFAULT_THREADS,
        instanceId,
        Limits.DEFAULTS);
  }

  public WebhookConfig withMaxFailures(int n) {
    return new WebhookConfig(policy, n, requestTimeout, threads, instanceId, limits);
  }

  public WebhookConfig withRequestTimeout(Duration d) {
    return new WebhookConfig(policy, maxFailures, d, threads, instanceId, limits);
  }

  public WebhookConfig withLimits(Limits l) {
    return new WebhookConfig(policy, maxFailures, requestTimeout, threads, instanceId, l);
  }
}

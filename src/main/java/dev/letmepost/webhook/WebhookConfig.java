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
 */
public record WebhookConfig(
    AddressGuard.Policy policy,
    int maxFailures,
    Duration requestTimeout,
    int threads,
    String instanceId) {
  public static final int DEFAULT_MAX_FAILURES = 20;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_THREADS = 32;

  public WebhookConfig {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(instanceId, "instanceId");
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
        policy, DEFAULT_MAX_FAILURES, DEFAULT_REQUEST_TIMEOUT, DEFAULT_THREADS, instanceId);
  }

  public WebhookConfig withMaxFailures(int n) {
    return new WebhookConfig(policy, n, requestTimeout, threads, instanceId);
  }

  public WebhookConfig withRequestTimeout(Duration d) {
    return new WebhookConfig(policy, maxFailures, d, threads, instanceId);
  }
}

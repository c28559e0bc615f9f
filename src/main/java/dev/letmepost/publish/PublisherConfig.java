package dev.letmepost.publish;

import dev.letmepost.client.Backoff;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How one platform's publisher worker runs.
 *
 * @param instanceId stable per worker instance: part of its transactional id, so that a restarted
 *     instance fences its predecessor's unfinished transactions at once
 * @param threads the most platform calls in progress at once (accounts in parallel, one call per
 *     account at a time)
 * @param backoff the wait after a task's failed call: jittered, doubling from its initial delay to
 *     its max (TaskRun)
 * @param maxInFlight tasks held (running or waiting to retry) before the worker stops polling
 * @param handOverWait how long a clean hand-over of partitions (a revocation in a rebalance, a
 *     graceful shutdown) waits for the platform calls in progress on them to end, so that their
 *     real outcomes are written rather than left to the next owner to reconcile; zero does not
 *     wait. At most {@link #MAX_HAND_OVER_WAIT}, well under the consumer's max.poll.interval.ms (5
 *     min), within which the revocation callback must return.
 */
public record PublisherConfig(
    Topics topics,
    Platform platform,
    String instanceId,
    int threads,
    Duration connectTimeout,
    Duration requestTimeout,
    Backoff backoff,
    Duration minReconcileWait,
    int maxInFlight,
    Duration handOverWait) {

  /** The longest {@link #handOverWait} allowed. */
  public static final Duration MAX_HAND_OVER_WAIT = Duration.ofSeconds(30);

  /** The default {@link #handOverWait}. */
  public static final Duration DEFAULT_HAND_OVER_WAIT = Duration.ofSeconds(10);

  public PublisherConfig {
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(platform, "platform");
    Objects.requireNonNull(backoff, "backoff");
    if (instanceId == null || !instanceId.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "instance id may hold only letters, digits, '.', '_' and '-', got '" + instanceId + "'");
    }
    if (threads < 1 || threads > 1024) {
      throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("max in flight must be positive, got " + maxInFlight);
    }
    for (Duration d : new Duration[] {connectTimeout, requestTimeout, minReconcileWait}) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("durations must be positive, got " + d);
      }
    }
    if (handOverWait == null
        || handOverWait.isNegative()
        || handOverWait.compareTo(MAX_HAND_OVER_WAIT) > 0) {
      throw new IllegalArgumentException(
          "hand-over wait must be in 0.."
              + MAX_HAND_OVER_WAIT
              + " (under the consumer's max.poll.interval.ms), got "
              + handOverWait);
    }
  }

  /**
   * Defaults: 16 threads, 5 s connect, 20 s request timeout, backoff 500 ms..30 s, hand-over wait
   * 10 s.
   */
  public static PublisherConfig defaults(Topics topics, Platform platform, String instanceId) {
    return new PublisherConfig(
        topics,
        platform,
        instanceId,
        16,
        Duration.ofSeconds(5),
        Duration.ofSeconds(20),
        Backoff.DEFAULT,
        Duration.ofSeconds(1),
        10_000,
        DEFAULT_HAND_OVER_WAIT);
  }

  /**
   * This configuration with {@code change} made to a copy of its values, checked once all are made:
   * {@code config.with(c -> c.threads = 4)}.
   */
  public PublisherConfig with(Consumer<Values> change) {
    Values v = new Values(this);
    change.accept(v);
    return new PublisherConfig(
        v.topics,
        v.platform,
        v.instanceId,
        v.threads,
        v.connectTimeout,
        v.requestTimeout,
        v.backoff,
        v.minReconcileWait,
        v.maxInFlight,
        v.handOverWait);
  }

  /** The values of a configuration being changed ({@link #with}), each a component's. */
  public static final class Values {
    public Topics topics;
    public Platform platform;
    public String instanceId;
    public int threads;
    public Duration connectTimeout;
    public Duration requestTimeout;
    public Backoff backoff;
    public Duration minReconcileWait;
    public int maxInFlight;
    public Duration handOverWait;

    private Values(PublisherConfig c) {
      topics = c.topics;
      platform = c.platform;
      instanceId = c.instanceId;
      threads = c.threads;
      connectTimeout = c.connectTimeout;
      requestTimeout = c.requestTimeout;
      backoff = c.backoff;
      minReconcileWait = c.minReconcileWait;
      maxInFlight = c.maxInFlight;
      handOverWait = c.handOverWait;
    }
  }

  /** The consumer group of this platform's workers: {@code <prefix>publisher-<platform>}. */
  public String groupId() {
    return topics.prefix() + "publisher-" + platform.wireName();
  }

  /** The transactional id of this instance: {@code <group>-<instanceId>}. */
  public String transactionalId() {
    return groupId() + "-" + instanceId;
  }
}

package dev.letmepost.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that reads every partition of a topic (no group, no commits) into a callback and keeps
 * following it until it is closed, from the topic's beginning or from its end as of the start;
 * {@link #caughtUp()} once every record that existed at the start has been applied. It is the one
 * background reader: the client's {@link ResultsReader} (from the end) and the server's followers
 * of its compacted topics (API keys, webhook endpoints and deliveries, the publishers' accounts;
 * from the beginning) run on it.
 *
 * <p>It does not die: a session (one consumer) that fails, with any exception (an ACL change's
 * {@code TopicAuthorizationException}, a SASL rotation's {@code SaslAuthenticationException}, a
 * bug), is closed; the follower reads as down, naming itself and the error ({@link #problem()},
 * what {@code /readyz} shows), and after a {@link Backoff} (not jittered) a new consumer resumes at
 * the positions already applied. A session that reads again marks it up and resets the backoff. An
 * {@link Error} ends it for good (it stays down).
 */
public final class TopicFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

  /** How long {@link #assignAll} waits for a topic's metadata. */
  public static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);

  /** How long a poll waits for records; a poll returns as soon as some are read. */
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

  /** Where a follower starts on a partition it has not read before. */
  public enum From {
    BEGINNING,
    /** The end as of the first session that is assigned the partition. */
    END
  }

  /** What a follower does with each record it reads, on its thread. */
  @FunctionalInterface
  public interface Apply {
    void accept(ConsumerRecord<String, byte[]> record);
  }

  private final String name;
  private final String topic;
  private final From from;
  private final Supplier<? extends Consumer<String, byte[]>> consumers;
  private final Backoff backoff;
  private final Backoff.Sleeper sleeper;
  private final Apply apply;

  /** Where each partition's reading stands (the follower thread's): a new session resumes there. */
  private final Map<TopicPartition, Long> positions = new HashMap<>();

  private final Map<TopicPartition, Long> initialEnd;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;
  private volatile Consumer<String, byte[]> consumer;
  private volatile String down;
  private int failures; // the follower thread's: failed sessions in a row

  /**
   * A follower on consumers from {@code consumers} (a new one for each session), which the caller
   * configures {@code read_committed} outside any group. The first is assigned and positioned here:
   * a missing topic fails the constructor, closing it.
   *
   * @param name how {@link #problem()}, the log and the follower's thread name it
   * @param backoff the wait before a new session after the n-th failed one in a row
   * @param sleeper how that wait is waited
   */
  public TopicFollower(
      String name,
      String topic,
      From from,
      Supplier<? extends Consumer<String, byte[]>> consumers,
      Backoff backoff,
      Backoff.Sleeper sleeper,
      Apply apply) {
    this.name = Objects.requireNonNull(name, "name");
    this.topic = Objects.requireNonNull(topic, "topic");
    this.from = Objects.requireNonNull(from, "from");
    this.consumers = Objects.requireNonNull(consumers, "consumers");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.apply = Objects.requireNonNull(apply, "apply");
    Consumer<String, byte[]> first = consumers.get();
    try {
      List<TopicPartition> partitions = position(first);
      this.initialEnd = Map.copyOf(first.endOffsets(partitions));
    } catch (RuntimeException e) {
      first.close();
      throw e;
    }
    this.consumer = first;
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Assigns every partition of {@code topic} to {@code c}, waiting up to {@link #METADATA_TIMEOUT}
   * for its metadata; fails when the topic is missing.
   */
  public static List<TopicPartition> assignAll(Consumer<?, ?> c, String topic) {
    List<TopicPartition> partitions =
        c.partitionsFor(topic, METADATA_TIMEOUT).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition()))
            .toList();
    if (partitions.isEmpty()) {
      throw new IllegalStateException("topic " + topic + " does not exist");
    }
    c.assign(partitions);
    return partitions;
  }

  /** The name {@link #problem()}, the log and the thread go by. */
  public String name() {
    return name;
  }

  /** Whether every record that existed at the start has been applied. */
  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  /** Waits until {@link #caughtUp()}; false on timeout. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Why the follower is not reading now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    String d = down;
    return d == null
        ? Optional.empty()
        : Optional.of("reader " + name + " is down, restarting: " + d);
  }

  /**
   * Runs sessions until the follower is closed or its thread is interrupted, each failed one
   * followed by the backoff.
   */
  private void run() {
    while (running.get()) {
      try {
        session();
        return;
      } catch (RuntimeException e) {
        if (!running.get()) {
          return; // closing: the wake-up, or the consumer closed under the session
        }
        int n = ++failures;
        Duration delay = backoff.delay(n);
        down = e + " (failure " + n + " in a row; next attempt in " + delay + ")";
        LOG.error("reader {} stopped: {}; restarting in {}", name, e.toString(), delay, e);
        try {
          sleeper.sleep(delay);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      } catch (Error e) {
        down = "stopped for good: " + e;
        throw e;
      }
    }
  }

  /** One session: reads with one consumer (the first, or a new one) until closed or it fails. */
  private void session() {
    Consumer<String, byte[]> c = consumer;
    try {
      if (c == null) {
        c = consumers.get();
        consumer = c;
        position(c);
      }
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(POLL_TIMEOUT)) {
          apply.accept(r);
        }
        for (TopicPartition tp : c.assignment()) {
          positions.put(tp, c.position(tp));
        }
        healthy();
        if (caughtUp.getCount() > 0
            && initialEnd.entrySet().stream()
                .allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
          caughtUp.countDown();
        }
      }
    } finally {
      consumer = null;
      if (c != null) {
        close(c);
      }
    }
  }

  /**
   * Assigns {@code c} every partition and seeks each to the position read so far; a partition not
   * read before to the beginning, or to the end, which is then its position (a later session
   * resumes there, so records written meanwhile are not skipped).
   */
  private List<TopicPartition> position(Consumer<String, byte[]> c) {
    List<TopicPartition> partitions = assignAll(c, topic);
    for (TopicPartition tp : partitions) {
      Long at = positions.get(tp);
      if (at != null) {
        c.seek(tp, at);
      } else if (from == From.BEGINNING) {
        c.seekToBeginning(List.of(tp));
      } else {
        c.seekToEnd(List.of(tp));
        positions.put(tp, c.position(tp));
      }
    }
    return partitions;
  }

  private void healthy() {
    if (down != null) {
      LOG.info("reader {} is reading again after {} failure(s)", name, failures);
      down = null;
    }
    failures = 0;
  }

  /**
   * Closes a session's consumer, waiting up to 5 s, also when the session ends because its thread
   * was interrupted (the follower is closing): the interrupt is set again afterwards.
   */
  private static void close(Consumer<?, ?> c) {
    boolean interrupted = Thread.interrupted();
    c.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops the follower: wakes the consumer it is polling, if any, interrupts a backoff sleep, and
   * waits up to 10 s for its thread to end.
   */
  @Override
  public void close() {
    running.set(false);
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException e) {
        // already closed by its session
      }
    }
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

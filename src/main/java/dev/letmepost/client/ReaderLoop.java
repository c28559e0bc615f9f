package dev.letmepost.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a background reader (a topic follower, the gateway's results consumer, the
 * publishers' account book): it runs sessions, each with a consumer of its own, until it is closed.
 * A session that fails, with any exception (an ACL change's {@code TopicAuthorizationException}, a
 * SASL rotation's {@code SaslAuthenticationException}, a bug), ends; the reader reads as down,
 * naming itself and the error ({@link #problem()}, what {@code /readyz} shows), and a new session
 * starts after a capped exponential backoff ({@link RestartDelay}). A session that reads again
 * marks the reader up and resets the backoff.
 *
 * <p>Its home is the client, whose {@link ResultsReader} runs on it; {@code wire.ReaderLoop} names
 * it for the server's readers. Not meant to be extended otherwise.
 */
public class ReaderLoop {
  private static final Logger LOG = LoggerFactory.getLogger(ReaderLoop.class);

  /** How long {@link #assignAll} waits for a topic's metadata. */
  public static final Duration METADATA_TIMEOUT = Duration.ofSeconds(30);

  /** Waits between sessions; tests pass one that does not sleep. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;

    Sleeper SYSTEM = d -> Thread.sleep(d.toMillis());
  }

  /**
   * The wait before a new session after the {@code failures}-th failed one in a row (1 for the
   * first).
   */
  @FunctionalInterface
  public interface RestartDelay {
    Duration delay(int failures);

    /** 500 ms, doubled after each failure in a row, at most 30 s. */
    RestartDelay DEFAULT =
        failures -> Duration.ofMillis(Math.min(30_000L, 500L << Math.min(failures - 1, 6)));
  }

  /** One session: reads until the reader is closed; calls {@code healthy} after each read. */
  @FunctionalInterface
  public interface Session {
    void run(Runnable healthy);
  }

  private final String name;
  private final RestartDelay backoff;
  private final Sleeper sleeper;
  private final BooleanSupplier running;
  private volatile String down;
  private volatile int failures;

  /**
   * @param name how {@code /readyz} and the log name the reader
   * @param running false once the reader is being closed: a session that ends then is not restarted
   */
  public ReaderLoop(String name, RestartDelay backoff, Sleeper sleeper, BooleanSupplier running) {
    this.name = Objects.requireNonNull(name, "name");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    this.running = Objects.requireNonNull(running, "running");
  }

  public String name() {
    return name;
  }

  /**
   * Runs sessions until the reader is closed or the thread is interrupted. An {@link Error} ends it
   * for good (the reader stays down).
   */
  public void run(Session session) {
    while (running.getAsBoolean()) {
      try {
        session.run(this::healthy);
        return;
      } catch (RuntimeException e) {
        if (!running.getAsBoolean()) {
          return; // closing: the wake-up, or the consumer closed under the session
        }
        int n = failures + 1;
        failures = n;
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

  private void healthy() {
    if (down != null) {
      LOG.info("reader {} is reading again after {} failure(s)", name, failures);
      down = null;
    }
    failures = 0;
  }

  /** Why the reader is not reading now; empty while it reads. */
  public Optional<String> problem() {
    String d = down;
    return d == null
        ? Optional.empty()
        : Optional.of("reader " + name + " is down, restarting: " + d);
  }

  /**
   * Stops a reader's thread once its loop condition is false: wakes the consumer it is polling, if
   * any, interrupts a backoff sleep, and waits up to 10 s for the thread to end.
   */
  public static void stop(Consumer<?, ?> current, Thread thread) {
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

  /**
   * Closes a session's consumer, waiting up to 5 s, also when the session ends because its thread
   * was interrupted (the reader is closing): the interrupt is set again afterwards.
   */
  public static void close(Consumer<?, ?> consumer) {
    boolean interrupted = Thread.interrupted();
    consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
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
}

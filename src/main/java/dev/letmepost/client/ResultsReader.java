package dev.letmepost.client;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Awaits answers on the results topic: one background reader, assigned every partition ({@code
 * read_committed}, from the topic's end when it starts), completes the waiter registered under each
 * answer's request id. Answers nobody here waits for (other clients', other instances') are
 * skipped. Register a waiter ({@link #await}) before its command is sent, so that its answer cannot
 * pass unseen.
 *
 * <p>Bounds: at most {@code maxWaiters} waiters at once (past it, {@link #await} fails at once with
 * {@link RejectedExecutionException}), and each waits until its deadline at most, then fails with
 * {@link java.util.concurrent.TimeoutException} and leaves the map. The reader is a {@link
 * TopicFollower} from the end: a session that fails is restarted at the positions read so far, so
 * answers written while it was down still reach their waiters; {@link #problem()} says why it is
 * down meanwhile.
 */
public final class ResultsReader implements AutoCloseable {
  private final Map<String, CompletableFuture<Answer>> waiters = new ConcurrentHashMap<>();
  private final Semaphore slots;
  private final int maxWaiters;
  private final AtomicBoolean open = new AtomicBoolean(true);
  private final TopicFollower follower;

  /**
   * A reader of {@code topic} with the user's Kafka settings ({@code bootstrap.servers}, security);
   * the client sets {@code read_committed} itself. Fails when the topic does not exist.
   *
   * @param maxWaiters how many answers may be awaited at once
   */
  public ResultsReader(Map<String, ?> kafka, String topic, int maxWaiters) {
    this(
        topic + " reader",
        topic,
        () ->
            new KafkaConsumer<>(
                KafkaConfigs.reader(kafka), new StringDeserializer(), new ByteArrayDeserializer()),
        maxWaiters,
        Backoff.DEFAULT,
        Backoff.Sleeper.SYSTEM);
  }

  /**
   * A reader on consumers from {@code consumers} (a new one for each session), which the caller
   * configures {@code read_committed}. The first is assigned here, from the end: a missing topic
   * fails the constructor, closing it.
   *
   * @param name how {@link #problem()}, the log and the reader's thread name it
   */
  public ResultsReader(
      String name,
      String topic,
      Supplier<? extends Consumer<String, byte[]>> consumers,
      int maxWaiters,
      Backoff backoff,
      Backoff.Sleeper sleeper) {
    if (maxWaiters < 1) {
      throw new IllegalArgumentException("maxWaiters must be at least 1, got " + maxWaiters);
    }
    this.maxWaiters = maxWaiters;
    this.slots = new Semaphore(maxWaiters);
    this.follower =
        new TopicFollower(
            name, topic, TopicFollower.From.END, consumers, backoff, sleeper, this::deliver);
  }

  /**
   * The answer to {@code requestId}, once it is read, or a failure: {@link
   * java.util.concurrent.TimeoutException} when none came within {@code deadline}, {@link
   * java.util.concurrent.CancellationException} when the reader closes. Cancel the future to stop
   * waiting early; either way the waiter leaves.
   *
   * @throws RejectedExecutionException when {@code maxWaiters} answers are awaited already
   * @throws IllegalStateException when {@code requestId} is awaited already
   */
  public CompletableFuture<Answer> await(String requestId, Duration deadline) {
    Objects.requireNonNull(requestId, "requestId");
    if (!open.get()) {
      throw new IllegalStateException("the results reader is closed");
    }
    if (!slots.tryAcquire()) {
      throw new RejectedExecutionException(
          "already " + maxWaiters + " answers awaited (the bound); retry later");
    }
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    if (waiters.putIfAbsent(requestId, answer) != null) {
      slots.release();
      throw new IllegalStateException("request id " + requestId + " is awaited already");
    }
    answer.whenComplete(
        (a, e) -> {
          if (waiters.remove(requestId, answer)) {
            slots.release();
          }
        });
    return answer.orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** How many answers are awaited now. */
  public int waiting() {
    return waiters.size();
  }

  /** Why the reader is not reading now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return follower.problem();
  }

  private void deliver(ConsumerRecord<String, byte[]> r) {
    CompletableFuture<Answer> waiter = r.key() == null ? null : waiters.get(r.key());
    if (waiter != null) {
      try {
        waiter.complete(Answer.of(r));
      } catch (RuntimeException e) {
        waiter.completeExceptionally(e);
      }
    }
  }

  /** Stops the reader and cancels every waiter. */
  @Override
  public void close() {
    open.set(false);
    follower.close();
    waiters.values().forEach(f -> f.cancel(false));
  }
}

package dev.letmepost.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
import org.apache.kafka.common.TopicPartition;
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
 * {@link java.util.concurrent.TimeoutException} and leaves the map. A reader session that fails is
 * restarted ({@link ReaderLoop}) at the positions read so far, so answers written while it was down
 * still reach their waiters; {@link #problem()} says why it is down meanwhile.
 */
public final class ResultsReader implements AutoCloseable {
  private final String topic;
  private final Supplier<? extends Consumer<String, byte[]>> consumers;
  private final Map<String, CompletableFuture<Answer>> waiters = new ConcurrentHashMap<>();
  private final Semaphore slots;
  private final int maxWaiters;

  /** Where each partition's reading stands (the reader thread's): a new session resumes there. */
  private final Map<TopicPartition, Long> positions = new HashMap<>();

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ReaderLoop loop;
  private final Thread thread;
  private volatile Consumer<String, byte[]> consumer;

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
        ReaderLoop.RestartDelay.DEFAULT,
        ReaderLoop.Sleeper.SYSTEM);
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
      ReaderLoop.RestartDelay backoff,
      ReaderLoop.Sleeper sleeper) {
    if (maxWaiters < 1) {
      throw new IllegalArgumentException("maxWaiters must be at least 1, got " + maxWaiters);
    }
    this.topic = Objects.requireNonNull(topic, "topic");
    this.consumers = consumers;
    this.maxWaiters = maxWaiters;
    this.slots = new Semaphore(maxWaiters);
    Consumer<String, byte[]> first = consumers.get();
    try {
      List<TopicPartition> partitions = ReaderLoop.assignAll(first, topic);
      first.seekToEnd(partitions);
      for (TopicPartition tp : partitions) {
        positions.put(tp, first.position(tp));
      }
    } catch (RuntimeException e) {
      first.close();
      throw e;
    }
    this.consumer = first;
    this.loop = new ReaderLoop(name, backoff, sleeper, running::get);
    this.thread = new Thread(() -> loop.run(this::session), name);
    thread.setDaemon(true);
    thread.start();
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
    if (!running.get()) {
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
    return loop.problem();
  }

  private void session(Runnable healthy) {
    Consumer<String, byte[]> c = consumer;
    try {
      if (c == null) {
        c = consumers.get();
        consumer = c;
        for (TopicPartition tp : ReaderLoop.assignAll(c, topic)) {
          Long at = positions.get(tp);
          if (at == null) {
            c.seekToEnd(List.of(tp));
          } else {
            c.seek(tp, at);
          }
        }
      }
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
          deliver(r);
        }
        for (TopicPartition tp : c.assignment()) {
          positions.put(tp, c.position(tp));
        }
        healthy.run();
      }
    } finally {
      consumer = null;
      if (c != null) {
        ReaderLoop.close(c);
      }
    }
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
    running.set(false);
    ReaderLoop.stop(consumer, thread);
    waiters.values().forEach(f -> f.cancel(false));
  }
}

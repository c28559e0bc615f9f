package dev.letmepost.wire;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A thread that reads a topic from its beginning (every partition, {@code read_committed}, no
 * group) into a callback and keeps following it; {@link #caughtUp()} once every record that existed
 * at start has been applied.
 *
 * <p>It does not die: a failed read (an ACL change, a SASL rotation, any exception) closes the
 * consumer, reports the follower down ({@link #problem()}) and, after a capped exponential backoff
 * ({@link ReaderLoop}), a new consumer resumes at the positions already applied.
 */
public final class TopicFollower implements AutoCloseable {
  private final Supplier<? extends Consumer<String, byte[]>> consumers;
  private final String topic;
  private final BiConsumer<String, byte[]> apply;
  private final Map<TopicPartition, Long> initialEnd;
  private final Map<TopicPartition, Long> positions = new HashMap<>(); // the reader thread's
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ReaderLoop loop;
  private final Thread thread;
  private volatile Consumer<String, byte[]> consumer;

  public TopicFollower(ClientSettings client, String topic, BiConsumer<String, byte[]> apply) {
    this(
        () ->
            Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer()),
        topic,
        apply,
        Backoff.DEFAULT,
        ReaderLoop.Sleeper.SYSTEM);
  }

  /**
   * A follower on consumers from {@code consumers} (a new one for each session). The first is
   * assigned and its end offsets read here: a missing topic fails the constructor.
   */
  public TopicFollower(
      Supplier<? extends Consumer<String, byte[]>> consumers,
      String topic,
      BiConsumer<String, byte[]> apply,
      Backoff backoff,
      ReaderLoop.Sleeper sleeper) {
    this.consumers = consumers;
    this.topic = topic;
    this.apply = apply;
    Consumer<String, byte[]> first = consumers.get();
    try {
      List<TopicPartition> partitions = Consumers.assignAll(first, topic);
      first.seekToBeginning(partitions);
      this.initialEnd = Map.copyOf(first.endOffsets(partitions));
    } catch (RuntimeException e) {
      first.close();
      throw e;
    }
    this.consumer = first;
    this.loop = new ReaderLoop("follow-" + topic, backoff, sleeper, running::get);
    this.thread = new Thread(() -> loop.run(this::session), "follow-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  private void session(Runnable healthy) {
    Consumer<String, byte[]> c = consumer;
    try {
      if (c == null) {
        c = consumers.get();
        consumer = c;
        resume(c);
      }
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          apply.accept(r.key(), r.value());
        }
        for (TopicPartition tp : c.assignment()) {
          positions.put(tp, c.position(tp));
        }
        healthy.run();
        if (caughtUp.getCount() > 0
            && initialEnd.entrySet().stream()
                .allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
          caughtUp.countDown();
        }
      }
    } finally {
      consumer = null;
      if (c != null) {
        boolean interrupted = Thread.interrupted(); // close() ends a session closing interrupted
        c.close(Duration.ofSeconds(5));
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** Assigns every partition and seeks each to the position applied so far (new ones: start). */
  private void resume(Consumer<String, byte[]> c) {
    List<TopicPartition> partitions = Consumers.assignAll(c, topic);
    for (TopicPartition tp : partitions) {
      Long at = positions.get(tp);
      if (at == null) {
        c.seekToBeginning(List.of(tp));
      } else {
        c.seek(tp, at);
      }
    }
  }

  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The thread's name ({@code follow-<topic>}), as {@link #problem()} names it. */
  public String name() {
    return loop.name();
  }

  /** Why the follower is not reading now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return loop.problem();
  }

  @Override
  public void close() {
    running.set(false);
    ReaderLoop.stop(consumer, thread);
  }
}

package dev.letmepost.wire;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread that reads a topic from its beginning (every partition, {@code read_committed}, no
 * group) into a callback and keeps following it; {@link #caughtUp()} once every record that existed
 * at start has been applied.
 */
public final class TopicFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);
  private final KafkaConsumer<String, byte[]> consumer;
  private final BiConsumer<String, byte[]> apply;
  private final Map<TopicPartition, Long> initialEnd;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  public TopicFollower(ClientSettings client, String topic, BiConsumer<String, byte[]> apply) {
    this.apply = apply;
    this.consumer =
        Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions;
    try {
      partitions = Consumers.assignAll(consumer, topic);
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
    consumer.seekToBeginning(partitions);
    this.initialEnd = consumer.endOffsets(partitions);
    this.thread = new Thread(this::run, "follow-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply.accept(r.key(), r.value());
        }
        if (caughtUp.getCount() > 0
            && initialEnd.entrySet().stream()
                .allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
          caughtUp.countDown();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("{} stopped: {}", thread.getName(), e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  public boolean caughtUp() {
    return caughtUp.getCount() == 0;
  }

  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    running.set(false);
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

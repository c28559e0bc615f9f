package dev.letmepost.gateway;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that reads the compacted {@code lmp.api-keys} topic from its beginning into an {@link
 * ApiKeyRegistry} and keeps following it. Every gateway instance reads the whole topic (no consumer
 * group): revoking a key reaches all instances within a poll.
 */
public final class ApiKeyFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiKeyFollower.class);
  private final KafkaConsumer<String, byte[]> consumer;
  private final ApiKeyRegistry registry;
  private final Map<TopicPartition, Long> initialEnd;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  public ApiKeyFollower(ClientSettings client, Topics topics, ApiKeyRegistry registry) {
    this.registry = registry;
    this.consumer =
        Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions;
    try {
      partitions = Consumers.assignAll(consumer, topics.apiKeys().name());
    } catch (IllegalStateException e) {
      consumer.close();
      throw e;
    }
    consumer.seekToBeginning(partitions);
    this.initialEnd = consumer.endOffsets(partitions);
    this.thread = new Thread(this::run, "gateway-api-keys");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          registry.apply(r.key(), r.value());
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
      LOG.error("api-keys follower stopped: {}", e.toString(), e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** True once every key that existed at start-up has been read. */
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

package dev.letmepost.publish;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Json;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounts topic as a publisher sees it: every account by id, kept current by a background
 * reader of the compacted topic. A malformed account record is logged and skipped.
 */
public final class AccountBook implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccountBook.class);

  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final Thread reader;
  private volatile boolean closed;

  /** Starts reading {@code topic} from its beginning on a daemon thread. */
  public AccountBook(ClientSettings client, String topic) {
    this.consumer =
        Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer());
    this.reader = new Thread(() -> read(topic), "account-book");
    reader.setDaemon(true);
    reader.start();
  }

  /** Waits until the topic has been read up to its end as of the start; false on timeout. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  public Optional<Account> get(String accountId) {
    return Optional.ofNullable(accounts.get(accountId));
  }

  private void read(String topic) {
    try {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, Duration.ofSeconds(60)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (!closed) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          apply(r);
        }
        if (caughtUp.getCount() > 0
            && partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))) {
          caughtUp.countDown();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      log.error("account book stopped reading {}", topic, e);
    } finally {
      consumer.close();
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    if (r.key() == null) {
      return;
    }
    if (r.value() == null) {
      accounts.remove(r.key());
      return;
    }
    try {
      accounts.put(r.key(), Json.read(r.value(), Account.class));
    } catch (RuntimeException e) {
      log.warn(
          "skipping malformed account record {} at {}-{}@{}: {}",
          r.key(),
          r.topic(),
          r.partition(),
          r.offset(),
          e.getMessage());
    }
  }

  @Override
  public void close() {
    closed = true;
    consumer.wakeup();
    try {
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

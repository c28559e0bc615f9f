package dev.letmepost.publish;

import dev.letmepost.wire.Account;
import dev.letmepost.wire.Backoff;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.ReaderLoop;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
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
  private final Supplier<? extends Consumer<String, byte[]>> consumers;
  private final String topic;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ReaderLoop loop;
  private final Thread reader;

  /** The end offsets as of the first session, and where each partition's reading stands. */
  private Map<TopicPartition, Long> end;

  private final Map<TopicPartition, Long> positions = new HashMap<>();
  private volatile Consumer<String, byte[]> consumer;

  /** Starts reading {@code topic} from its beginning on a daemon thread. */
  public AccountBook(ClientSettings client, String topic) {
    this(
        () ->
            Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer()),
        topic,
        Backoff.DEFAULT,
        ReaderLoop.Sleeper.SYSTEM);
  }

  /**
   * A book read by consumers from {@code consumers}, a new one for each session: a session that
   * fails (an ACL change, a SASL rotation, any exception) is restarted after a backoff ({@link
   * ReaderLoop}) at the positions read so far, and {@link #problem()} names it meanwhile.
   */
  AccountBook(
      Supplier<? extends Consumer<String, byte[]>> consumers,
      String topic,
      Backoff backoff,
      ReaderLoop.Sleeper sleeper) {
    this.consumers = consumers;
    this.topic = topic;
    this.loop = new ReaderLoop("account-book", backoff, sleeper, running::get);
    this.reader = new Thread(() -> loop.run(this::session), "account-book");
    reader.setDaemon(true);
    reader.start();
  }

  /** Waits until the topic has been read up to its end as of the start; false on timeout. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Why the book is not being read now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return loop.problem();
  }

  public Optional<Account> get(String accountId) {
    return Optional.ofNullable(accounts.get(accountId));
  }

  private void session(Runnable healthy) {
    Consumer<String, byte[]> c = consumers.get();
    consumer = c;
    try {
      if (!running.get()) {
        return;
      }
      List<TopicPartition> partitions = Consumers.assignAll(c, topic);
      for (TopicPartition tp : partitions) {
        Long at = positions.get(tp);
        if (at == null) {
          c.seekToBeginning(List.of(tp));
        } else {
          c.seek(tp, at);
        }
      }
      if (end == null) {
        end = Map.copyOf(c.endOffsets(partitions));
      }
      while (running.get()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          apply(r);
        }
        for (TopicPartition tp : c.assignment()) {
          positions.put(tp, c.position(tp));
        }
        healthy.run();
        if (caughtUp.getCount() > 0
            && end.entrySet().stream()
                .allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue())) {
          caughtUp.countDown();
        }
      }
    } finally {
      consumer = null;
      boolean interrupted = Thread.interrupted(); // close() ends a session closing interrupted
      c.close(Duration.ofSeconds(5));
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
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
    running.set(false);
    ReaderLoop.stop(consumer, reader);
  }
}

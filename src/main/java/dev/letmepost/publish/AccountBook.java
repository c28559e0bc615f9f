package dev.letmepost.publish;

import dev.letmepost.client.Backoff;
import dev.letmepost.client.TopicFollower;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Json;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
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
  private final TopicFollower follower;

  /**
   * Starts reading {@code topic} from its beginning on a daemon thread; fails when the topic does
   * not exist.
   */
  public AccountBook(ClientSettings client, String topic) {
    this(
        () ->
            Consumers.readCommitted(client, new StringDeserializer(), new ByteArrayDeserializer()),
        topic,
        Backoff.DEFAULT,
        Backoff.Sleeper.SYSTEM);
  }

  /**
   * A book read by consumers from {@code consumers}, a new one for each session of its {@link
   * TopicFollower} named {@code account-book}: a session that fails (an ACL change, a SASL
   * rotation, any exception) is restarted after {@code backoff} at the positions read so far, and
   * {@link #problem()} names it meanwhile.
   */
  AccountBook(
      Supplier<? extends Consumer<String, byte[]>> consumers,
      String topic,
      Backoff backoff,
      Backoff.Sleeper sleeper) {
    this.follower =
        new TopicFollower(
            "account-book",
            topic,
            TopicFollower.From.BEGINNING,
            consumers,
            backoff,
            sleeper,
            this::apply);
  }

  /** Waits until the topic has been read up to its end as of the start; false on timeout. */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return follower.awaitCaughtUp(timeout);
  }

  /** Why the book is not being read now (down, restarting); empty while it reads. */
  public Optional<String> problem() {
    return follower.problem();
  }

  public Optional<Account> get(String accountId) {
    return Optional.ofNullable(accounts.get(accountId));
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
    follower.close();
  }
}

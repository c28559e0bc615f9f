package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.client.Backoff;
import dev.letmepost.client.MockReaders;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** The publishers' account book: its reader is restarted after a failure and says so meanwhile. */
class AccountBookTest {
  static final String TOPIC = "lmp.accounts";

  static ConsumerRecord<String, byte[]> account(long offset, String id, String handle) {
    return new ConsumerRecord<>(
        TOPIC,
        0,
        offset,
        id,
        Json.write(
            new Account(id, "key_a", "bluesky", handle, Account.Status.connected, null, false)));
  }

  /**
   * The book's reader ended on a {@code TopicAuthorizationException} and the publisher kept
   * publishing with the accounts as they were, while its {@code /readyz} stayed green. Now {@link
   * AccountBook#problem()} (the publisher's readiness) names the reader while it is down, and a new
   * consumer resumes where the old one stopped and applies the change it had missed.
   */
  @Test
  void accountBookWhoseReaderFailsIsRestartedAndReportsItselfDownInBetween() throws Exception {
    MockConsumer<String, byte[]> first = MockReaders.consumer(TOPIC, 1);
    first.schedulePollTask(() -> first.addRecord(account(0, "acc_1", "old.bsky.social")));
    MockConsumer<String, byte[]> second = MockReaders.consumer(TOPIC, 1);
    second.schedulePollTask(() -> second.addRecord(account(1, "acc_1", "new.bsky.social")));
    LinkedBlockingQueue<MockConsumer<String, byte[]>> consumers =
        new LinkedBlockingQueue<>(List.of(first, second));
    MockReaders.GatedSleeper sleeper = new MockReaders.GatedSleeper();

    try (AccountBook book = new AccountBook(consumers::poll, TOPIC, Backoff.DEFAULT, sleeper)) {
      assertThat(book.awaitCaughtUp(Duration.ofSeconds(10))).isTrue();
      assertThat(book.get("acc_1").orElseThrow().handle()).isEqualTo("old.bsky.social");

      first.setPollException(new TopicAuthorizationException(Set.of(TOPIC)));
      await().atMost(Duration.ofSeconds(10)).until(() -> book.problem().isPresent());
      assertThat(book.problem().get())
          .startsWith("reader account-book is down, restarting: ")
          .contains("TopicAuthorizationException");

      sleeper.release();
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> book.get("acc_1").orElseThrow().handle().equals("new.bsky.social"));
      await().atMost(Duration.ofSeconds(10)).until(() -> book.problem().isEmpty());
    }
  }
}

package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** The shared topic-reading thread: restarted after any failure, resuming where it was. */
class TopicFollowerTest {
  static final String TOPIC = "lmp.api-keys";

  static ConsumerRecord<String, byte[]> record(long offset, String key, String value) {
    return new ConsumerRecord<>(
        TOPIC, 0, offset, key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  static String text(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /**
   * A follower's thread ended for good on a non-retriable error (an ACL change's {@code
   * TopicAuthorizationException}) and nothing said so: the keys stopped following the topic (a
   * revocation no longer applied) while the gateway read as ready. Now the follower reports itself
   * down, naming the error, waits its backoff, and a new consumer resumes at the position already
   * applied (not from the beginning: the stale record at offset 0 of the new consumer is not
   * applied again); a second failure in a row doubles the backoff.
   */
  @Test
  void followerWhoseConsumerFailsIsRestartedAtItsPositionAndReportsItselfDownInBetween() {
    MockConsumer<String, byte[]> first = MockReaders.consumer(TOPIC, 2);
    first.schedulePollTask(
        () -> {
          first.addRecord(record(0, "k1", "v1"));
          first.addRecord(record(1, "k2", "v2"));
        });
    MockConsumer<String, byte[]> second = MockReaders.consumer(TOPIC, 2);
    second.schedulePollTask(
        () -> second.setPollException(new SaslAuthenticationException("credentials rotated")));
    MockConsumer<String, byte[]> third = MockReaders.consumer(TOPIC, 2);
    third.schedulePollTask(
        () -> {
          third.addRecord(record(0, "k1", "stale"));
          third.addRecord(record(2, "k3", "v3"));
        });
    LinkedBlockingQueue<MockConsumer<String, byte[]>> consumers =
        new LinkedBlockingQueue<>(java.util.List.of(first, second, third));
    Map<String, String> applied = new ConcurrentHashMap<>();
    MockReaders.GatedSleeper sleeper = new MockReaders.GatedSleeper();

    try (TopicFollower follower =
        new TopicFollower(
            "follow-" + TOPIC,
            TOPIC,
            TopicFollower.From.BEGINNING,
            consumers::poll,
            new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)),
            sleeper,
            r -> applied.put(r.key(), text(r.value())))) {
      await().atMost(Duration.ofSeconds(10)).until(follower::caughtUp);
      assertThat(follower.problem()).isEmpty();

      first.setPollException(new TopicAuthorizationException(Set.of(TOPIC)));
      await().atMost(Duration.ofSeconds(10)).until(() -> follower.problem().isPresent());
      assertThat(follower.problem().get())
          .startsWith("reader follow-lmp.api-keys is down, restarting: ")
          .contains("TopicAuthorizationException", "next attempt in PT1S");
      assertThat(first.closed()).isTrue();

      sleeper.release();
      await().atMost(Duration.ofSeconds(10)).until(() -> sleeper.delays.size() == 2);
      assertThat(follower.problem().get()).contains("SaslAuthenticationException", "PT2S");

      sleeper.release();
      await().atMost(Duration.ofSeconds(10)).until(() -> applied.containsKey("k3"));
      await().atMost(Duration.ofSeconds(10)).until(() -> follower.problem().isEmpty());
      assertThat(applied)
          .containsExactlyInAnyOrderEntriesOf(Map.of("k1", "v1", "k2", "v2", "k3", "v3"));
      assertThat(sleeper.delays).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }
  }
}

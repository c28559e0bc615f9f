package dev.letmepost.gateway;

import dev.letmepost.client.TopicFollower;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.Optional;

/**
 * The thread that reads the compacted {@code lmp.api-keys} topic from its beginning into an {@link
 * ApiKeyRegistry} and keeps following it. Every gateway instance reads the whole topic (no consumer
 * group): revoking a key reaches all instances within a poll.
 */
public final class ApiKeyFollower implements AutoCloseable {
  private final TopicFollower follower;

  public ApiKeyFollower(ClientSettings client, Topics topics, ApiKeyRegistry registry) {
    this(
        Consumers.follow(client, topics.apiKeys().name(), r -> registry.apply(r.key(), r.value())));
  }

  /** The follower of {@code follower}, which applies the key topic to a registry. */
  ApiKeyFollower(TopicFollower follower) {
    this.follower = follower;
  }

  /** Why the keys are not being followed now (down, restarting); empty while they are. */
  public Optional<String> problem() {
    return follower.problem();
  }

  /** True once every key that existed at start-up has been read. */
  public boolean caughtUp() {
    return follower.caughtUp();
  }

  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return follower.awaitCaughtUp(timeout);
  }

  @Override
  public void close() {
    follower.close();
  }
}

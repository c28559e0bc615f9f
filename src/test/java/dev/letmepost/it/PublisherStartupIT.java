package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.publish.Credentials;
import dev.letmepost.publish.PublisherConfig;
import dev.letmepost.publish.Publishers;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The publishers' start-up check against a real broker. */
class PublisherStartupIT {

  /**
   * Regression: a journal topic created with 3 partitions for a publish topic of 2 stalled the
   * platform; the publishers now refuse to start, naming both topics and both partition counts.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aJournalPartitionedUnlikeItsPublishTopicStopsThePublishersFromStarting() throws Exception {
    String bootstrap = TestBroker.bootstrapServers();
    Topics topics = new Topics(TestBroker.uniquePrefix());
    String journal = topics.journal(Platform.MASTODON).name();
    try (Admin admin =
        Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin
          .createTopics(List.of(new NewTopic(journal, 3, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    TestBroker.createTopics(topics, 2);

    assertThatThrownBy(
            () ->
                Publishers.start(
                    ClientSettings.of(bootstrap),
                    List.of(PublisherConfig.defaults(topics, Platform.MASTODON, "startup-it")),
                    http ->
                        platform -> {
                          throw new AssertionError("no connector may be made for " + platform);
                        },
                    new Credentials(name -> null),
                    Clock.systemUTC()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("journal topic " + journal + " has 3 partition(s)")
        .hasMessageContaining(
            "publish topic " + topics.publish(Platform.MASTODON).name() + " has 2");
  }
}

package dev.letmepost.publish;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The publishers' start-up check of their topics, on given partition counts. */
class PublishersTest {
  static final Topics TOPICS = Topics.defaults();
  static final List<PublisherConfig> CONFIGS =
      List.of(
          PublisherConfig.defaults(TOPICS, Platform.MASTODON, "p1"),
          PublisherConfig.defaults(TOPICS, Platform.BLUESKY, "p1"));

  /**
   * Regression: a journal partitioned unlike its publish topic (6 vs 3) stalled the platform: the
   * journal entry of a task from publish partition 4 has no journal partition 4. The publishers now
   * refuse to start, naming both topics and both counts.
   */
  @Test
  void aJournalPartitionedUnlikeItsPublishTopicRefusesTheStartNamingBoth() {
    Map<String, Integer> counts =
        Map.of(
            "lmp.publish.mastodon", 6,
            "lmp.publisher-journal.mastodon", 3,
            "lmp.publish.bluesky", 6,
            "lmp.publisher-journal.bluesky", 6);

    assertThatThrownBy(() -> Publishers.checkJournalPartitioning(CONFIGS, counts))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("journal topic lmp.publisher-journal.mastodon has 3 partition(s)")
        .hasMessageContaining("publish topic lmp.publish.mastodon has 6")
        .hasMessageNotContaining("bluesky");
  }

  @Test
  void aMissingJournalRefusesTheStartNamingIt() {
    Map<String, Integer> counts =
        Map.of(
            "lmp.publish.mastodon", 6,
            "lmp.publisher-journal.mastodon", 6,
            "lmp.publish.bluesky", 6);

    assertThatThrownBy(() -> Publishers.checkJournalPartitioning(CONFIGS, counts))
        .hasMessageContaining("journal topic lmp.publisher-journal.bluesky does not exist");
  }

  @Test
  void journalsPartitionedLikeTheirPublishTopicsPass() {
    Map<String, Integer> counts =
        Map.of(
            "lmp.publish.mastodon", 6,
            "lmp.publisher-journal.mastodon", 6,
            "lmp.publish.bluesky", 2,
            "lmp.publisher-journal.bluesky", 2);

    assertThatCode(() -> Publishers.checkJournalPartitioning(CONFIGS, counts))
        .doesNotThrowAnyException();
  }
}

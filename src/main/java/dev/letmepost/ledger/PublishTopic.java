package dev.letmepost.ledger;

import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.Topics;
import org.apache.kafka.streams.processor.RecordContext;
import org.apache.kafka.streams.processor.TopicNameExtractor;

/**
 * Routes each publish task to its platform's producer topic, {@code <prefix>publish.<platform>}.
 */
record PublishTopic(Topics topics) implements TopicNameExtractor<String, PublishTask> {
  @Override
  public String extract(String accountId, PublishTask task, RecordContext context) {
    return topics.publishTopicName(task.platform());
  }

  /** What {@code Topology#describe()} prints for the sink. */
  @Override
  public String toString() {
    return topics.publishTopicName("<platform>");
  }
}

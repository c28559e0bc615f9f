package dev.letmepost.client;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The code blocks of docs/client.md and the README, compiled here: {@code DocSnippetTest} holds
 * each block equal to the lines between its markers, and {@code ClientIT} runs the producer.
 */
final class Snippets {
  private Snippets() {}

  /** The producer of the README and docs/client.md. */
  static Envelope announce(String bootstrapServers, TopicNames topics, String workflowId)
      throws Exception {
    // [producer]
    try (KafkaClient lmp = new KafkaClient(Map.of("bootstrap.servers", bootstrapServers), topics)) {
      Post post =
          Post.builder().account("acc_demo_twitter").platform("bluesky").text("2.4 is out").build();
      // The same workflow step gets the same key on every retry, so it is posted once.
      String key = IdempotencyKeys.fromUpstream(workflowId, "announce");
      Answer answer = lmp.post("key_demo", key, post, Duration.ofSeconds(30));
      return answer.envelope().orElseThrow(() -> new IllegalStateException(answer.bodyText()));
    }
    // [/producer]
  }

  /** The events consumer of docs/client.md. */
  static void follow(
      String bootstrapServers,
      BooleanSupplier running,
      Consumer<Event.TargetEvent> failed,
      Consumer<Envelope> completed) {
    // [consumer]
    Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", bootstrapServers));
    config.put("group.id", "my-service");
    config.put("isolation.level", "read_committed"); // each event once, none of an aborted write
    config.put("enable.auto.commit", false);
    try (KafkaConsumer<String, Event> events =
        new KafkaConsumer<>(config, new StringDeserializer(), Event.deserializer())) {
      events.subscribe(List.of(TopicNames.DEFAULT.events()));
      while (running.getAsBoolean()) {
        for (ConsumerRecord<String, Event> r : events.poll(Duration.ofSeconds(1))) {
          if (r.value() instanceof Event.TargetEvent t
              && t.target().status() == Envelope.TargetStatus.FAILED) {
            failed.accept(t);
          } else if (r.value() instanceof Event.BatchEvent b
              && b.type().equals(Event.BATCH_COMPLETED)) {
            completed.accept(b.batch());
          }
        }
        events.commitSync();
      }
    }
    // [/consumer]
  }
}

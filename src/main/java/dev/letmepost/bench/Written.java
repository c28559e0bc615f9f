package dev.letmepost.bench;

import dev.letmepost.wire.Topics;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Kafka records a phase wrote, by kind of topic, from the topics' end offsets before and after
 * it. An offset delta counts data records and the transaction markers of exactly-once commits (one
 * per partition a transaction wrote to): both are records the broker stored.
 */
final class Written {
  static final String TASKS = "publish tasks";
  static final String CHANGELOGS = "changelogs";
  static final String REPARTITION = "repartition";
  static final String RESULTS = "results";
  static final String OUTCOMES = "outcomes";
  static final String OUTPUT = "output";
  static final String EVENTS = "events";
  static final String OTHER = "other";

  private final Topics topics;

  Written(Topics topics) {
    this.topics = topics;
  }

  /**
   * The kind of {@code topic}: a platform's publish topic, a Streams changelog or repartition
   * topic, the results, outcomes or lifecycle events topic, a baseline's output; null for the
   * commands topic (the input, which the benchmark itself writes).
   */
  String kind(String topic) {
    if (topic.equals(topics.commands().name())) {
      return null;
    }
    if (topic.endsWith("-changelog")) {
      return CHANGELOGS;
    }
    if (topic.endsWith("-repartition")) {
      return REPARTITION;
    }
    if (topic.startsWith(topics.publishTopicName(""))) {
      return TASKS;
    }
    if (topic.equals(topics.results().name())) {
      return RESULTS;
    }
    if (topic.equals(topics.outcomes().name())) {
      return OUTCOMES;
    }
    if (topic.equals(topics.events().name())) {
      return EVENTS;
    }
    if (topic.startsWith(Baselines.OUTPUT_PREFIX, topics.prefix().length())
        && topic.startsWith(topics.prefix())) {
      return OUTPUT;
    }
    return OTHER;
  }

  /**
   * Records written per input record, by kind: the growth of each topic's summed end offsets from
   * {@code before} to {@code after} (topics absent before count from 0), divided by {@code inputs}.
   * Kinds with no growth are left out.
   */
  Map<String, Double> perInput(Map<String, Long> before, Map<String, Long> after, long inputs) {
    if (inputs <= 0) {
      throw new IllegalArgumentException("a phase needs at least one input record, got " + inputs);
    }
    Map<String, Long> byKind = new TreeMap<>();
    after.forEach(
        (topic, end) -> {
          String kind = kind(topic);
          long grown = end - before.getOrDefault(topic, 0L);
          if (kind != null && grown > 0) {
            byKind.merge(kind, grown, Long::sum);
          }
        });
    Map<String, Double> perInput = new TreeMap<>();
    byKind.forEach((kind, n) -> perInput.put(kind, n / (double) inputs));
    return perInput;
  }
}

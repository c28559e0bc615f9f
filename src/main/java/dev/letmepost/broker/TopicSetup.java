package dev.letmepost.broker;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topic;
import dev.letmepost.wire.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics of a {@link Topics} registry that do not exist yet, each with its topic-level
 * configuration, and leaves existing topics alone.
 */
public final class TopicSetup {
  /*
   * Design.
   *
   * Existing topics are never altered: changing the partition count of a keyed topic would move
   * keys between partitions, and the ledger relies on every record of a key being on one
   * partition. A partition count that differs from the requested one is only reported, and only
   * for the two topics the ledger co-partitions (commands and outcomes); the others are read by
   * key-agnostic consumers.
   *
   * Two processes may start at once and both see a topic missing; the loser of the creation
   * race gets TopicExistsException, which is the outcome it wanted, so it is treated as success.
   *
   * The controller acknowledges a creation before the broker's metadata cache knows the topic,
   * so ensureTopics waits until describeTopics sees every topic with a leader on each partition;
   * a client started right after it then finds the topics at once.
   */

  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TopicSetup() {}

  /**
   * Creates every topic of {@code topics.all()} that does not exist yet, with its configuration,
   * {@code partitions} partitions and {@code replicationFactor} replicas, and returns once all of
   * them are visible to clients.
   *
   * @throws KafkaException if a topic can be neither found nor created
   */
  public static void ensureTopics(
      Admin admin, Topics topics, int partitions, short replicationFactor) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    if (replicationFactor < 1) {
      throw new IllegalArgumentException(
          "replication factor must be at least 1, got " + replicationFactor);
    }
    Map<String, Topic<?, ?>> wanted = new LinkedHashMap<>();
    topics.all().forEach(topic -> wanted.put(topic.name(), topic));

    Set<String> existing = new HashSet<>(await(admin.listTopics().names(), "list topics"));
    List<NewTopic> missing = new ArrayList<>();
    for (Topic<?, ?> topic : wanted.values()) {
      if (!existing.contains(topic.name())) {
        missing.add(
            new NewTopic(topic.name(), Optional.of(partitions), Optional.of(replicationFactor))
                .configs(topic.configs()));
      }
    }

    if (!missing.isEmpty()) {
      CreateTopicsResult result = admin.createTopics(missing);
      for (Map.Entry<String, ? extends Future<Void>> entry : result.values().entrySet()) {
        String name = entry.getKey();
        try {
          await(entry.getValue(), "create topic " + name);
          log.info(
              "Created topic {} ({} partitions, replication factor {}, configs {})",
              name,
              partitions,
              replicationFactor,
              wanted.get(name).configs());
        } catch (KafkaException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
          log.debug("Topic {} was created concurrently by another process", name);
          existing.add(name);
        }
      }
    }

    Map<String, TopicDescription> described = awaitVisible(admin, wanted.keySet());
    for (Topic<?, ?> topic : List.of(topics.commands(), topics.outcomes())) {
      int actual = described.get(topic.name()).partitions().size();
      if (existing.contains(topic.name()) && actual != partitions) {
        log.warn(
            "Topic {} has {} partitions but {} were requested; it is left as it is",
            topic.name(),
            actual,
            partitions);
      }
    }
  }

  /**
   * Like {@link #ensureTopics(Admin, Topics, int, short)}, with an {@link Admin} client of its own
   * connected to the cluster {@code client} reaches.
   */
  public static void ensureTopics(
      ClientSettings client, Topics topics, int partitions, short replicationFactor) {
    try (Admin admin = Admin.create(client.config())) {
      ensureTopics(admin, topics, partitions, replicationFactor);
    }
  }

  private static Map<String, TopicDescription> awaitVisible(Admin admin, Set<String> names) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described =
            await(admin.describeTopics(names).allTopicNames(), "describe topics " + names);
        boolean led =
            described.values().stream()
                .flatMap(description -> description.partitions().stream())
                .allMatch(partition -> partition.leader() != null);
        if (led) {
          return described;
        }
      } catch (KafkaException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new KafkaException("topics " + names + " did not become visible within " + TIMEOUT);
      }
      sleep(Duration.ofMillis(20));
    }
  }

  private static <T> T await(Future<T> future, String what) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new KafkaException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaException("cannot " + what + " within " + TIMEOUT, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    }
  }
}

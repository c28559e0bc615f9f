package dev.letmepost.publish;

import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Platform;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A set of running publisher workers, one per platform, sharing one {@link AccountBook}: what
 * {@code lmp publisher} and {@code lmp serve} run. Closing stops every worker (each hands its
 * unfinished tasks over through its journal) and then the account book.
 */
public final class Publishers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Publishers.class);

  private final AccountBook accounts;
  private final List<PublisherWorker> workers = new ArrayList<>();
  private volatile boolean closing;

  private Publishers(AccountBook accounts) {
    this.accounts = accounts;
  }

  /**
   * Starts one worker per config, each on its own thread, once the accounts topic has been read.
   *
   * @param connectors the connector for each platform, given the shared HTTP client
   */
  public static Publishers start(
      ClientSettings client,
      List<PublisherConfig> configs,
      Function<PlatformHttp, Function<Platform, Connector>> connectors,
      Credentials credentials,
      Clock clock) {
    Objects.requireNonNull(client, "client");
    if (configs.isEmpty()) {
      throw new IllegalArgumentException("no platform to publish to");
    }
    PublisherConfig first = configs.get(0);
    checkJournalPartitioning(configs, partitionCounts(client, topicsOf(configs)));
    AccountBook book = new AccountBook(client, first.topics().accounts().name());
    Publishers p = new Publishers(book);
    try {
      if (!book.awaitCaughtUp(Duration.ofSeconds(60))) {
        throw new IllegalStateException(
            "could not read " + first.topics().accounts().name() + " within 60 s");
      }
      PlatformHttp http =
          PlatformHttp.create(first.connectTimeout(), first.requestTimeout(), clock);
      Function<Platform, Connector> byPlatform = connectors.apply(http);
      for (PublisherConfig config : configs) {
        PublisherWorker worker =
            PublisherWorker.create(
                client, config, byPlatform.apply(config.platform()), book::get, credentials, clock);
        Thread t = new Thread(worker, "publisher-" + config.platform().wireName());
        t.setDaemon(true);
        t.start();
        p.workers.add(worker);
      }
      return p;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.close();
      throw new IllegalStateException("interrupted while starting the publishers", e);
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /** Every publish and journal topic the workers of {@code configs} use. */
  static List<String> topicsOf(List<PublisherConfig> configs) {
    List<String> names = new ArrayList<>();
    for (PublisherConfig c : configs) {
      names.add(c.topics().publish(c.platform()).name());
      names.add(c.topics().journal(c.platform()).name());
    }
    return names;
  }

  /**
   * Refuses to start when a platform's journal is not partitioned like its publish topic (the
   * journal entry of a task from publish partition p lives in journal partition p, so the worker
   * would stall on that platform), or when either topic does not exist.
   *
   * @param partitionCounts partitions by topic name; a topic missing from it does not exist
   * @throws IllegalStateException naming every offending topic and partition count
   */
  static void checkJournalPartitioning(
      List<PublisherConfig> configs, Map<String, Integer> partitionCounts) {
    List<String> problems = new ArrayList<>();
    for (PublisherConfig c : configs) {
      String publish = c.topics().publish(c.platform()).name();
      String journal = c.topics().journal(c.platform()).name();
      Integer tasks = partitionCounts.get(publish);
      Integer entries = partitionCounts.get(journal);
      if (tasks == null) {
        problems.add("publish topic " + publish + " does not exist");
      }
      if (entries == null) {
        problems.add(
            "journal topic "
                + journal
                + " does not exist (create it compacted, partitioned like "
                + publish
                + ")");
      } else if (tasks != null && !tasks.equals(entries)) {
        problems.add(
            "journal topic "
                + journal
                + " has "
                + entries
                + " partition(s) but publish topic "
                + publish
                + " has "
                + tasks
                + " (the journal must have exactly the publish topic's partition count; recreate"
                + " it with "
                + tasks
                + ")");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "the publisher refuses to start: " + String.join("; ", problems));
    }
  }

  /** The partition count of each of {@code names} that exists (describing topics creates none). */
  static Map<String, Integer> partitionCounts(ClientSettings client, Collection<String> names) {
    Map<String, Integer> counts = new HashMap<>();
    try (Admin admin = Admin.create(client.config())) {
      for (Map.Entry<String, KafkaFuture<TopicDescription>> e :
          admin.describeTopics(Set.copyOf(names)).topicNameValues().entrySet()) {
        try {
          counts.put(e.getKey(), e.getValue().get(60, TimeUnit.SECONDS).partitions().size());
        } catch (ExecutionException failed) {
          if (!(failed.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw new IllegalStateException(
                "could not describe topic " + e.getKey() + ": " + failed.getCause(),
                failed.getCause());
          }
        } catch (java.util.concurrent.TimeoutException timedOut) {
          throw new IllegalStateException(
              "could not describe topic "
                  + e.getKey()
                  + " within 60 s at "
                  + client.bootstrapServers(),
              timedOut);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while describing " + e.getKey());
        }
      }
    }
    return counts;
  }

  /**
   * The task partitions, of every worker, whose journal recovery has not completed yet (their tasks
   * wait for it).
   */
  public List<TopicPartition> recoveringPartitions() {
    return workers.stream().flatMap(w -> w.recoveringPartitions().stream()).toList();
  }

  /**
   * Why the publishers are not ready: their account book is not being read (down, restarting), or a
   * worker publishes nothing (restarting after its producer kept failing, or stopped for good),
   * named with its platform, transactional id and reason. Empty once they are being closed.
   */
  public Optional<String> problem() {
    if (closing) {
      return Optional.empty();
    }
    List<String> problems = new ArrayList<>();
    accounts.problem().ifPresent(problems::add);
    for (PublisherWorker w : workers) {
      w.problem().ifPresent(problems::add);
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  /** The outcomes written so far by all workers. */
  public int outcomesWritten() {
    return workers.stream().mapToInt(PublisherWorker::outcomesWritten).sum();
  }

  @Override
  public void close() {
    closing = true;
    workers.parallelStream()
        .forEach(
            w -> {
              try {
                w.close();
              } catch (RuntimeException e) {
                log.warn("could not stop a publisher worker: {}", e.toString());
              }
            });
    accounts.close();
  }
}

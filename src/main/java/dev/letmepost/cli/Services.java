package dev.letmepost.cli;

import dev.letmepost.broker.EmbeddedBroker;
import dev.letmepost.broker.TopicSetup;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.publish.MinimalPublisher;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The roles {@code lmp serve} runs in one process: the embedded broker when no cluster is
 * configured, the topics, the ledger, and in demo mode the demo accounts and a sandbox publisher.
 * Closing stops them in reverse order.
 */
public final class Services implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Services.class);

  /** The demo principal and its accounts, all served by the sandbox. */
  public static final String DEMO_PRINCIPAL = "key_demo";

  public static final List<Account> DEMO_ACCOUNTS =
      List.of(
          new Account(
              "acc_demo_twitter",
              DEMO_PRINCIPAL,
              "twitter",
              "@demo",
              Account.Status.connected,
              null,
              false),
          new Account(
              "acc_demo_linkedin",
              DEMO_PRINCIPAL,
              "linkedin",
              "demo",
              Account.Status.connected,
              null,
              false),
          new Account(
              "acc_demo_bluesky",
              DEMO_PRINCIPAL,
              "bluesky",
              "demo.bsky.social",
              Account.Status.connected,
              null,
              false));

  /**
   * What to run.
   *
   * @param bootstrapServers a cluster to use, or null to start the embedded broker
   * @param kafkaPort the embedded broker's port (0 picks a free one)
   * @param streamsOverrides extra Kafka Streams settings for the ledger
   */
  public record Options(
      String bootstrapServers,
      int kafkaPort,
      Path dataDir,
      short replicationFactor,
      boolean demo,
      LedgerConfig ledger,
      Map<String, ?> streamsOverrides) {}

  private final List<AutoCloseable> started = new ArrayList<>();
  private final Options options;
  private String bootstrapServers;
  private KafkaStreams ledger;

  private Services(Options options) {
    this.options = options;
  }

  public static Services start(Options options) {
    Services s = new Services(options);
    try {
      s.startAll();
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void startAll() {
    Topics topics = options.ledger().topics();
    if (options.bootstrapServers() == null) {
      EmbeddedBroker broker =
          EmbeddedBroker.start(options.dataDir().resolve("kafka"), options.kafkaPort());
      started.add(broker);
      bootstrapServers = broker.bootstrapServers();
      LOG.info("embedded KRaft broker listening on {}", bootstrapServers);
    } else {
      bootstrapServers = options.bootstrapServers();
    }
    TopicSetup.ensureTopics(
        bootstrapServers, topics, options.ledger().partitions(), options.replicationFactor());
    LedgerApp.checkCopartitioning(options.ledger(), bootstrapServers);
    if (options.demo()) {
      registerDemoAccounts(bootstrapServers, topics);
    }
    ledger =
        LedgerApp.start(
            options.ledger(),
            LedgerApp.streamsProperties(
                options.ledger(),
                bootstrapServers,
                options.dataDir().resolve("streams"),
                options.streamsOverrides()));
    started.add(() -> ledger.close(Duration.ofSeconds(30)));
    if (options.demo()) {
      started.add(
          startSandboxPublisher(bootstrapServers, topics, options.dataDir().resolve("sandbox")));
    }
  }

  /**
   * Starts the demo publisher on its own thread: the demo platforms (twitter, linkedin, bluesky)
   * all served by the sandbox whose ground truth is {@code sandboxDir/posts.jsonl}.
   */
  public static MinimalPublisher startSandboxPublisher(
      String bootstrapServers, Topics topics, Path sandboxDir) {
    SandboxPlatform sandbox = new SandboxPlatform(sandboxDir, Clock.systemUTC());
    MinimalPublisher publisher =
        new MinimalPublisher(
            bootstrapServers,
            topics,
            Set.of(Platform.TWITTER, Platform.LINKEDIN, Platform.BLUESKY),
            sandbox,
            Clock.systemUTC());
    Thread t = new Thread(publisher, "sandbox-publisher");
    t.setDaemon(true);
    t.start();
    return publisher;
  }

  /** Writes the demo accounts (an upsert: the topic is compacted). */
  public static void registerDemoAccounts(String bootstrapServers, Topics topics) {
    try (KafkaProducer<String, Account> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
            topics.accounts().keySerde().serializer(),
            topics.accounts().valueSerde().serializer())) {
      for (Account a : DEMO_ACCOUNTS) {
        producer.send(new ProducerRecord<>(topics.accounts().name(), a.accountId(), a));
      }
      producer.flush();
    }
  }

  /** Blocks until the ledger is RUNNING; false when it did not get there in time. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      KafkaStreams.State state = ledger.state();
      if (state == KafkaStreams.State.RUNNING) {
        return true;
      }
      if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return false;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public KafkaStreams ledger() {
    return ledger;
  }

  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        LOG.warn("error while stopping {}: {}", started.get(i), e.toString());
      }
    }
    started.clear();
  }
}

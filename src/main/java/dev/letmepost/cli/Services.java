package dev.letmepost.cli;

import dev.letmepost.broker.EmbeddedBroker;
import dev.letmepost.broker.TopicSetup;
import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.gateway.DemoKey;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.Connectors;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.platform.sandbox.SandboxServer;
import dev.letmepost.publish.Credentials;
import dev.letmepost.publish.PublisherConfig;
import dev.letmepost.publish.Publishers;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Closer;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The roles {@code lmp serve} runs in one process: the embedded broker when no cluster is
 * configured, the topics, the ledger, the publisher workers, and in demo mode the demo accounts and
 * the sandbox platform every publisher sends to. Closing stops them in reverse order.
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
   * @param publishers whether to run the publisher workers (one per platform)
   * @param sandboxPort the demo sandbox platform's port (0 picks a free one)
   * @param sandboxUrl outside demo mode, a sandbox platform to publish every platform to instead of
   *     the real APIs; null for the real APIs
   * @param kafkaProperties the operator's Kafka client settings for every client (checked by {@link
   *     ClientSettings#checked}); before {@code streamsOverrides} in the ledger's config
   * @param sandboxLatency demo mode: added to every answer of the demo sandbox platform (a slow
   *     platform, for demos and load tests); zero by default
   */
  public record Options(
      String bootstrapServers,
      int kafkaPort,
      Path dataDir,
      short replicationFactor,
      boolean demo,
      LedgerConfig ledger,
      Map<String, ?> streamsOverrides,
      boolean publishers,
      int sandboxPort,
      URI sandboxUrl,
      String instanceId,
      Map<String, String> kafkaProperties,
      Duration sandboxLatency) {

    public Options {
      kafkaProperties = ClientSettings.checked(kafkaProperties);
      sandboxLatency = Objects.requireNonNullElse(sandboxLatency, Duration.ZERO);
      if (sandboxLatency.isNegative()) {
        throw new IllegalArgumentException(
            "sandboxLatency must not be negative, got " + sandboxLatency);
      }
    }

    /** Everything in one process, the demo sandbox on a free port when {@code demo}. */
    public static Options allInOne(
        String bootstrapServers,
        Path dataDir,
        boolean demo,
        LedgerConfig ledger,
        Map<String, ?> streamsOverrides) {
      return new Options(
          bootstrapServers,
          0,
          dataDir,
          (short) 1,
          demo,
          ledger,
          streamsOverrides,
          true,
          0,
          null,
          "serve",
          Map.of(),
          Duration.ZERO);
    }
  }

  /**
   * The sandbox platform serving every platform, and the publisher workers sending to it: the
   * publishing side of demo mode. Closing stops the workers, then the sandbox.
   */
  public record SandboxPublishing(SandboxServer sandbox, Publishers publishers)
      implements AutoCloseable {
    @Override
    public void close() {
      publishers.close();
      sandbox.close();
    }
  }

  private final Closer started = new Closer();
  private final Options options;
  private ClientSettings client;
  private KafkaStreams ledger;
  private SandboxPublishing sandboxPublishing;
  private volatile Publishers publishers;

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
      client = ClientSettings.of(broker.bootstrapServers(), options.kafkaProperties());
      LOG.info("embedded KRaft broker listening on {}", client.bootstrapServers());
    } else {
      client = ClientSettings.of(options.bootstrapServers(), options.kafkaProperties());
    }
    TopicSetup.ensureTopics(
        client, topics, options.ledger().partitions(), options.replicationFactor());
    LedgerApp.checkCopartitioning(options.ledger(), client);
    if (options.demo()) {
      registerDemoAccounts(client, topics);
    }
    ledger =
        LedgerApp.start(
            options.ledger(),
            LedgerApp.streamsProperties(
                options.ledger(),
                client,
                options.dataDir().resolve("streams"),
                options.streamsOverrides()));
    started.add(() -> ledger.close(Duration.ofSeconds(30)));
    if (!options.publishers()) {
      return;
    }
    if (options.demo()) {
      sandboxPublishing =
          startSandboxPublishing(
              client,
              topics,
              options.dataDir().resolve("sandbox"),
              options.sandboxPort(),
              new Faults(options.sandboxLatency(), 0, 0, 0, true, 0),
              options.instanceId());
      started.add(sandboxPublishing);
      publishers = sandboxPublishing.publishers();
    } else {
      publishers =
          startPublishers(
              client,
              topics,
              EnumSet.allOf(Platform.class),
              options.instanceId(),
              options.sandboxUrl());
      started.add(publishers);
    }
  }

  /**
   * Starts one publisher worker per platform in {@code platforms}, on the real APIs or, with {@code
   * sandboxUrl}, all on the sandbox platform there.
   */
  public static Publishers startPublishers(
      ClientSettings client,
      Topics topics,
      Set<Platform> platforms,
      String instanceId,
      URI sandboxUrl) {
    return Publishers.start(
        client,
        platforms.stream().map(p -> PublisherConfig.defaults(topics, p, instanceId)).toList(),
        http -> platform -> Connectors.forPlatform(platform, http, sandboxUrl),
        Credentials.fromEnvironment(),
        Clock.systemUTC());
  }

  /**
   * Starts the sandbox platform on 127.0.0.1:{@code port} (0 picks a free one) over {@code
   * sandboxDir/posts.jsonl} with {@code faults}, and a publisher worker for every platform sending
   * to it.
   */
  public static SandboxPublishing startSandboxPublishing(
      ClientSettings client,
      Topics topics,
      Path sandboxDir,
      int port,
      Faults faults,
      String instanceId) {
    SandboxServer sandbox =
        SandboxServer.start(
            new SandboxPlatform(sandboxDir, Clock.systemUTC()), "127.0.0.1", port, faults);
    try {
      return new SandboxPublishing(
          sandbox,
          startPublishers(
              client, topics, EnumSet.allOf(Platform.class), instanceId, sandbox.uri()));
    } catch (RuntimeException e) {
      sandbox.close();
      throw e;
    }
  }

  /** The demo sandbox and its publishers, or null outside demo mode. */
  public SandboxPublishing sandboxPublishing() {
    return sandboxPublishing;
  }

  /** Writes the demo accounts (an upsert: the topic is compacted). */
  public static void registerDemoAccounts(ClientSettings client, Topics topics) {
    try (KafkaProducer<String, Account> producer =
        new KafkaProducer<>(
            client.config(),
            topics.accounts().keySerde().serializer(),
            topics.accounts().valueSerde().serializer())) {
      for (Account a : DEMO_ACCOUNTS) {
        producer.send(new ProducerRecord<>(topics.accounts().name(), a.accountId(), a));
      }
      producer.flush();
    }
  }

  /**
   * Registers an API key for the demo principal: {@code $LMP_DEMO_API_KEY}, else a random one.
   *
   * @return the key, to be printed
   */
  public static String registerDemoApiKey(ClientSettings client, Topics topics) {
    String key = DemoKey.choose(System.getenv(DemoKey.ENV), new SecureRandom());
    ApiKeyWriter.write(
        client, topics, ApiKeys.hash(key), ApiKeyRecord.active(DEMO_PRINCIPAL, Instant.now()));
    return key;
  }

  /**
   * Why the ledger died for good, or empty while it lives: in state {@code ERROR} its stream
   * threads failed past what {@link dev.letmepost.ledger.ThreadFailures} replaces, and it answers
   * nothing until the process restarts.
   */
  public Optional<String> ledgerFailure() {
    return ledger.state() == KafkaStreams.State.ERROR
        ? Optional.of("the ledger stopped (state ERROR) after its stream threads failed")
        : Optional.empty();
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

  /**
   * Why a background reader of these services is not reading now (the publishers' account book
   * down, restarting); empty while they read or when no publishers run.
   */
  public Optional<String> readerProblem() {
    Publishers p = publishers;
    return p == null ? Optional.empty() : p.problem();
  }

  public String bootstrapServers() {
    return client.bootstrapServers();
  }

  /** The cluster (the embedded broker's, when it runs) and the operator's client settings. */
  public ClientSettings client() {
    return client;
  }

  public KafkaStreams ledger() {
    return ledger;
  }

  @Override
  public void close() {
    started.close();
  }
}

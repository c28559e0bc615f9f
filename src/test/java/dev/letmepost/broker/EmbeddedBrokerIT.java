package dev.letmepost.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Consumers;
import dev.letmepost.wire.Topic;
import dev.letmepost.wire.Topics;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** {@link EmbeddedBroker} and {@link TopicSetup} against real brokers. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedBrokerIT {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
  private static final Instant LONG_AGO = Instant.parse("2001-02-03T04:05:06Z");

  @TempDir Path dataDir;

  @Test
  void commandsTopicStampsLogAppendTimeAndAccountTopicsAreCompacted() throws Exception {
    Topics topics = new Topics("lmp.");
    try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0);
        Admin admin = admin(broker.bootstrapServers())) {
      assertThat(broker.port()).isPositive();
      assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + broker.port());

      TopicSetup.ensureTopics(admin, topics, 3, (short) 1);

      Set<String> names = topics.all().stream().map(Topic::name).collect(Collectors.toSet());
      assertThat(admin.listTopics().names().get()).containsExactlyInAnyOrderElementsOf(names);
      assertThat(admin.describeTopics(names).allTopicNames().get().values())
          .allSatisfy(description -> assertThat(description.partitions()).hasSize(3));
      assertThat(topicConfig(admin, topics.accounts().name(), "cleanup.policy"))
          .isEqualTo("compact");
      assertThat(topicConfig(admin, topics.apiKeys().name(), "cleanup.policy"))
          .isEqualTo("compact");
      assertThat(topicConfig(admin, topics.commands().name(), "cleanup.policy"))
          .isEqualTo("delete");
      assertThat(topicConfig(admin, topics.commands().name(), "message.timestamp.type"))
          .isEqualTo("LogAppendTime");

      Instant beforeSend = Instant.now();
      produce(
          broker.bootstrapServers(),
          new ProducerRecord<>(
              topics.commands().name(), 0, LONG_AGO.toEpochMilli(), bytes("k"), bytes("v")));
      Instant afterSend = Instant.now();

      List<ConsumerRecord<byte[], byte[]>> read =
          readAll(broker.bootstrapServers(), new TopicPartition(topics.commands().name(), 0), 1);
      assertThat(read).hasSize(1);
      ConsumerRecord<byte[], byte[]> record = read.get(0);
      assertThat(record.value()).isEqualTo(bytes("v"));
      assertThat(record.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
      assertThat(Instant.ofEpochMilli(record.timestamp()))
          .isBetween(beforeSend.minusSeconds(1), afterSend.plusSeconds(1));
    }
  }

  @Test
  void restartOnSameDataDirKeepsTopicsAndRecordsAndFormatsOnce() throws Exception {
    Topics topics = new Topics("lmp.");
    TopicPartition results = new TopicPartition(topics.results().name(), 0);
    Path metaProperties = dataDir.resolve(EmbeddedBroker.LOG_DIR_NAME).resolve("meta.properties");

    byte[] formatted;
    try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0)) {
      formatted = Files.readAllBytes(metaProperties);
      TopicSetup.ensureTopics(ClientSettings.of(broker.bootstrapServers()), topics, 1, (short) 1);
      produce(
          broker.bootstrapServers(),
          new ProducerRecord<>(results.topic(), 0, null, bytes("req-1"), bytes("body-1")));
    }

    try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0)) {
      assertThat(Files.readAllBytes(metaProperties)).isEqualTo(formatted);
      List<ConsumerRecord<byte[], byte[]>> read = readAll(broker.bootstrapServers(), results, 1);
      assertThat(read).hasSize(1);
      assertThat(read.get(0).key()).isEqualTo(bytes("req-1"));
      assertThat(read.get(0).value()).isEqualTo(bytes("body-1"));
      try (Admin admin = admin(broker.bootstrapServers())) {
        assertThat(topicConfig(admin, topics.accounts().name(), "cleanup.policy"))
            .isEqualTo("compact");
      }
    }
  }

  @Test
  void transactionalProducerCommitsAndAbortsOnOneNode() throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 1);
    TopicPartition results = new TopicPartition(topics.results().name(), 0);

    Map<String, Object> config =
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            TestBroker.bootstrapServers(),
            ProducerConfig.TRANSACTIONAL_ID_CONFIG,
            topics.prefix() + "tx",
            ProducerConfig.MAX_BLOCK_MS_CONFIG,
            30_000);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(results.topic(), bytes("committed")));
      producer.commitTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(results.topic(), bytes("aborted")));
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(results.topic(), bytes("committed-too")));
      producer.commitTransaction();
    }

    List<ConsumerRecord<byte[], byte[]>> read = readAll(TestBroker.bootstrapServers(), results, 2);
    assertThat(read)
        .extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
        .containsExactly("committed", "committed-too");
  }

  @Test
  void streamsExactlyOnceV2AppCommitsOnOneNode() throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 1);
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topics.results().name(), Consumed.with(Serdes.String(), Serdes.String()))
        .mapValues(value -> value.toUpperCase(Locale.ROOT))
        .to(topics.deadLetters().name(), Produced.with(Serdes.String(), Serdes.String()));
    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.prefix() + "eos");
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrapServers());
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.STATE_DIR_CONFIG, dataDir.toString());
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);

    try (KafkaStreams streams = new KafkaStreams(builder.build(), config)) {
      streams.start();
      produce(
          TestBroker.bootstrapServers(),
          new ProducerRecord<>(topics.results().name(), 0, null, bytes("k"), bytes("hello")));

      List<ConsumerRecord<byte[], byte[]>> read =
          readAll(
              TestBroker.bootstrapServers(), new TopicPartition(topics.deadLetters().name(), 0), 1);
      assertThat(read)
          .extracting(record -> new String(record.value(), StandardCharsets.UTF_8))
          .containsExactly("HELLO");
      assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
  }

  @Test
  void ensureTopicsLeavesExistingTopicsAloneAndWarnsOfPartitionMismatch() throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    ListAppender<ILoggingEvent> logs = captureLogs();
    try (Admin admin = admin(TestBroker.bootstrapServers())) {
      admin
          .createTopics(
              List.of(new NewTopic(topics.commands().name(), Optional.of(1), Optional.empty())))
          .all()
          .get();

      TopicSetup.ensureTopics(admin, topics, 3, (short) 1);
      TopicSetup.ensureTopics(admin, topics, 3, (short) 1);

      Map<String, TopicDescription> described =
          admin
              .describeTopics(topics.all().stream().map(Topic::name).toList())
              .allTopicNames()
              .get();
      assertThat(described.get(topics.commands().name()).partitions()).hasSize(1);
      assertThat(described.get(topics.outcomes().name()).partitions()).hasSize(3);
      assertThat(described.get(topics.results().name()).partitions()).hasSize(3);
      // Created outside TopicSetup, so the commands topic kept the broker's default config.
      assertThat(topicConfig(admin, topics.commands().name(), "message.timestamp.type"))
          .isEqualTo("CreateTime");
    } finally {
      stopCapturing(logs);
    }
    assertThat(logs.list)
        .filteredOn(event -> event.getLevel() == Level.WARN)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly(
            "Topic "
                + topics.commands().name()
                + " has 1 partitions but 3 were requested; it is left as it is",
            "Topic "
                + topics.commands().name()
                + " has 1 partitions but 3 were requested; it is left as it is");
  }

  @Test
  void concurrentEnsureTopicsBothSucceed() throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    CyclicBarrier barrier = new CyclicBarrier(2);
    List<CompletableFuture<Void>> setups = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      setups.add(
          CompletableFuture.runAsync(
              () -> {
                try (Admin admin = admin(TestBroker.bootstrapServers())) {
                  admin.describeCluster().nodes().get();
                  barrier.await();
                  TopicSetup.ensureTopics(admin, topics, 2, (short) 1);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              }));
    }
    CompletableFuture.allOf(setups.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    try (Admin admin = admin(TestBroker.bootstrapServers())) {
      Set<String> names = topics.all().stream().map(Topic::name).collect(Collectors.toSet());
      assertThat(admin.describeTopics(names).allTopicNames().get().values())
          .hasSize(names.size())
          .allSatisfy(description -> assertThat(description.partitions()).hasSize(2));
      assertThat(topicConfig(admin, topics.apiKeys().name(), "cleanup.policy"))
          .isEqualTo("compact");
    }
  }

  /**
   * Two processes list the topics, both find them missing, the other one creates them first: the
   * loser's createTopics fails with TopicExistsException for every topic, which must count as
   * success. The race is replayed deterministically by handing TopicSetup a topic listing taken
   * before the other process ran.
   */
  @Test
  void losingTheCreationRaceCountsAsSuccess() throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    ListAppender<ILoggingEvent> logs = captureLogs();
    try (Admin admin = admin(TestBroker.bootstrapServers())) {
      ListTopicsResult listedBeforeTheOtherProcess = admin.listTopics();
      listedBeforeTheOtherProcess.names().get();
      TopicSetup.ensureTopics(admin, topics, 1, (short) 1);
      Admin staleListing =
          (Admin)
              Proxy.newProxyInstance(
                  Admin.class.getClassLoader(),
                  new Class<?>[] {Admin.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("listTopics")) {
                      return listedBeforeTheOtherProcess;
                    }
                    try {
                      return method.invoke(admin, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });

      TopicSetup.ensureTopics(staleListing, topics, 2, (short) 1);

      assertThat(
              admin
                  .describeTopics(topics.all().stream().map(Topic::name).toList())
                  .allTopicNames()
                  .get()
                  .values())
          .allSatisfy(description -> assertThat(description.partitions()).hasSize(1));
    } finally {
      stopCapturing(logs);
    }
    assertThat(logs.list)
        .filteredOn(event -> event.getLevel() == Level.WARN)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly(
            "Topic "
                + topics.commands().name()
                + " has 1 partitions but 2 were requested; it is left as it is",
            "Topic "
                + topics.outcomes().name()
                + " has 1 partitions but 2 were requested; it is left as it is");
  }

  @Test
  void clientPortInUseFailsNamingThePortAndLeavesTheDataDirUsable() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> EmbeddedBroker.start(dataDir, taken.getLocalPort()))
          .isInstanceOf(KafkaException.class)
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
    }
    try (EmbeddedBroker broker = EmbeddedBroker.start(dataDir, 0)) {
      TopicSetup.ensureTopics(
          ClientSettings.of(broker.bootstrapServers()), new Topics("lmp."), 1, (short) 1);
    }
  }

  @Test
  void invalidArgumentsAreRejectedNamingTheValue() {
    assertThatThrownBy(() -> EmbeddedBroker.start(dataDir, 70000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("70000");
    assertThatThrownBy(
            () ->
                TopicSetup.ensureTopics(
                    ClientSettings.of("127.0.0.1:1"), new Topics("x."), 0, (short) 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
  }

  private static Admin admin(String bootstrapServers) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
  }

  private static String topicConfig(Admin admin, String topic, String name) throws Exception {
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
    return config.get(name).value();
  }

  private static void produce(String bootstrapServers, ProducerRecord<byte[], byte[]> record)
      throws Exception {
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers),
            new ByteArraySerializer(),
            new ByteArraySerializer())) {
      producer.send(record).get(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Reads {@code partition} from its start until {@code expected} records arrived or time ran out.
   */
  private static List<ConsumerRecord<byte[], byte[]>> readAll(
      String bootstrapServers, TopicPartition partition, int expected) {
    List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        Consumers.readCommitted(
            bootstrapServers, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (read.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(read::add);
      }
      // One more poll proves nothing else follows the expected records.
      consumer.poll(Duration.ofMillis(200)).forEach(read::add);
    }
    return read;
  }

  private static ListAppender<ILoggingEvent> captureLogs() {
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(TopicSetup.class))
        .addAppender(appender);
    return appender;
  }

  private static void stopCapturing(ListAppender<ILoggingEvent> appender) {
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(TopicSetup.class))
        .detachAppender(appender);
    appender.stop();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}

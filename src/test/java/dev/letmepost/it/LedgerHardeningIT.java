package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.client.Answer;
import dev.letmepost.command.Limits;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hardening defects that need a broker to happen: the largest valid request end to end, a body
 * over the limit on a topic that accepts it, retries across a lagging partition and a restart, and
 * a ledger down longer than the deadline while the publishers answer.
 */
class LedgerHardeningIT {
  private static final int PARTITIONS = 3;
  private static final String PRINCIPAL = "key_it";
  private static final Duration WAIT = Duration.ofSeconds(90);

  /** A running ledger on the shared broker, closed (and its state kept or not) by the test. */
  private static final class Ledger implements AutoCloseable {
    final KafkaStreams streams;

    Ledger(LedgerConfig config, Path stateDir) {
      streams =
          LedgerApp.start(
              config,
              LedgerApp.streamsProperties(
                  config, ClientSettings.of(TestBroker.bootstrapServers()), stateDir, Map.of()));
      await().atMost(WAIT).until(() -> streams.state() == KafkaStreams.State.RUNNING);
    }

    /**
     * Leaves the group, so that the next instance is assigned at once rather than after the
     * session.
     */
    @Override
    public void close() {
      streams.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(Duration.ofSeconds(30)));
    }
  }

  /** The sandbox platform (ground truth in {@code dir/sandbox}) and a publisher per platform. */
  private static Services.SandboxPublishing sandbox(Topics topics, Path dir) {
    return Services.startSandboxPublishing(
        ClientSettings.of(TestBroker.bootstrapServers()),
        topics,
        dir.resolve("sandbox"),
        0,
        Faults.NONE,
        "it");
  }

  /**
   * Fresh topics (the commands topic created first with {@code commandsConfig} when not null, as an
   * operator might) and {@code accounts} sandbox accounts of the test's principal.
   */
  private static Topics topics(Map<String, String> commandsConfig, int accounts) throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    if (commandsConfig != null) {
      createCommandsTopic(topics, commandsConfig);
    }
    TestBroker.createTopics(topics, PARTITIONS);
    registerSandboxAccounts(topics, accounts);
    return topics;
  }

  private static void registerSandboxAccounts(Topics topics, int count) {
    try (KafkaProducer<String, Account> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrapServers()),
            topics.accounts().keySerde().serializer(),
            topics.accounts().valueSerde().serializer())) {
      for (int i = 0; i < count; i++) {
        producer.send(
            new ProducerRecord<>(
                topics.accounts().name(),
                "acc_sb" + i,
                new Account(
                    "acc_sb" + i,
                    PRINCIPAL,
                    "sandbox",
                    "@sb" + i,
                    Account.Status.connected,
                    null,
                    false)));
      }
    }
  }

  private static String targets(int count) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < count; i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"acc_sb").append(i).append("\"}");
    }
    return b.toString();
  }

  /** The body padded with spaces (valid JSON whitespace) to exactly {@code size} bytes. */
  private static byte[] padded(String json, int size) {
    byte[] head = json.getBytes(StandardCharsets.UTF_8);
    assertThat(head.length).isLessThanOrEqualTo(size);
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) ' ');
    System.arraycopy(head, 0, body, 0, head.length);
    return body;
  }

  /**
   * The largest request the ledger takes: 25 targets, every field at its bound in 4-byte
   * characters, padded to exactly {@link Limits#MAX_BODY_BYTES}, once scheduled (its replay record
   * keeps the content) and once at once. Both are answered and fan out; no stream thread dies.
   */
  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void largestValidRequestIsAnsweredEndToEndAndNoStreamThreadDies(@TempDir Path dir)
      throws Exception {
    Topics topics = topics(null, 25);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = PARTITIONS);
    String emoji = "\uD83D\uDE00";
    String text = emoji.repeat(Platform.SANDBOX.textLimit());
    StringBuilder media = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      String url = "https://example.com/" + "a".repeat(Limits.MAX_URL_CHARS - 21) + i;
      media
          .append(i == 0 ? "" : ",")
          .append("{\"url\":\"")
          .append(url)
          .append("\",\"altText\":\"")
          .append(emoji.repeat(Limits.MAX_ALT_TEXT_CODE_POINTS))
          .append("\"}");
    }
    String content =
        "\"text\":\""
            + text
            + "\",\"firstComment\":\""
            + emoji.repeat(Limits.MAX_FIRST_COMMENT_CODE_POINTS)
            + "\",\"media\":["
            + media
            + "]";
    byte[] now =
        padded("{\"targets\":[" + targets(25) + "]," + content + "}", Limits.MAX_BODY_BYTES);

    try (Services.SandboxPublishing publishing = sandbox(topics, dir);
        Ledger ledger = new Ledger(config, dir.resolve("streams"));
        PostClient client =
            new PostClient(ClientSettings.of(TestBroker.bootstrapServers()), topics)) {
      String scheduledAt = Instant.now().plusSeconds(20).toString();
      byte[] scheduled =
          padded(
              "{\"targets\":["
                  + targets(25)
                  + "],"
                  + content
                  + ",\"scheduledAt\":\""
                  + scheduledAt
                  + "\"}",
              Limits.MAX_BODY_BYTES);
      Answer accepted =
          client.post(PRINCIPAL, "K-scheduled", "req-s", scheduled, WAIT).orElseThrow();
      assertThat(accepted.status()).isEqualTo(202);
      Answer answered = client.post(PRINCIPAL, "K-now", "req-n", now, WAIT).orElseThrow();
      assertThat(answered.status()).isIn(201, 207);
      JsonNode envelope = Json.MAPPER.readTree(answered.body());
      assertThat(envelope.get("results")).hasSize(25);

      await()
          .atMost(WAIT)
          .until(() -> SandboxPlatform.readPosts(dir.resolve("sandbox")).size() >= 50);
      Answer replay = client.post(PRINCIPAL, "K-now", "req-n2", now, WAIT).orElseThrow();
      assertThat(replay.replayed()).isTrue();
      assertThat(replay.body()).isEqualTo(answered.body());
      assertThat(ledger.streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
      assertThat(SandboxPlatform.readPosts(dir.resolve("sandbox")))
          .hasSize(50)
          .allSatisfy(p -> assertThat(p.text()).isEqualTo(text));
    }
  }

  /**
   * A commands topic an operator created with the broker's default 1 MiB limit takes a body over
   * the ledger's limit: it is answered 413 before it is repartitioned, and the ledger goes on.
   */
  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void bodyOverTheLimitOnATopicThatTakesItIsAnswered413AndTheLedgerGoesOn(@TempDir Path dir)
      throws Exception {
    Topics topics = topics(Map.of("message.timestamp.type", "LogAppendTime"), 1);
    LedgerConfig config = LedgerConfig.defaults(topics).with(c -> c.partitions = PARTITIONS);
    try (Services.SandboxPublishing publishing = sandbox(topics, dir);
        Ledger ledger = new Ledger(config, dir.resolve("streams"));
        PostClient client =
            new PostClient(ClientSettings.of(TestBroker.bootstrapServers()), topics)) {
      byte[] big =
          padded(
              "{\"targets\":[" + targets(1) + "],\"text\":\"big\"}",
              Limits.MAX_BODY_BYTES + 100_000);
      Answer tooLarge = client.post(PRINCIPAL, "K1", "req-big", big, WAIT).orElseThrow();
      assertThat(tooLarge.status()).isEqualTo(413);
      assertThat(tooLarge.bodyText()).contains("body_too_large");

      byte[] small = ("{\"targets\":[" + targets(1) + "],\"text\":\"small\"}").getBytes();
      Answer ok = client.post(PRINCIPAL, "K1", "req-ok", small, WAIT).orElseThrow();
      assertThat(ok.status()).as("the 413 recorded nothing: the key is free").isEqualTo(201);
      assertThat(ledger.streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
    }
  }

  /**
   * Broker timestamps set by the test on a CreateTime commands topic stand for a backlog: the first
   * request 23 h 55 min ago in partition 0, a fast partition at now, then a restart that restores
   * the stores from their changelogs, then the retry (23 h 50 min after the first request; the test
   * sets a TTL of 3 days, as a lag of 2 days must be shorter than the TTL) in partition 2 and a new
   * command 26 h old: the retry replays byte for byte, the old command is filed where the store
   * keeps it and answered, and the sandbox has one post per batch.
   */
  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void retryWithinTheTtlReplaysAcrossALaggingPartitionAndARestart(@TempDir Path dir)
      throws Exception {
    Topics topics = topics(Map.of("message.timestamp.type", "CreateTime"), 1);
    LedgerConfig config =
        LedgerConfig.defaults(topics)
            .with(
                c -> {
                  c.partitions = PARTITIONS;
                  c.replayTtl = Duration.ofDays(3);
                  c.maxCommandLag = Duration.ofDays(2);
                });
    Instant now = Instant.now();
    Instant first = now.minus(Duration.ofHours(24)).plusSeconds(5 * 60);
    byte[] body = ("{\"targets\":[" + targets(1) + "],\"text\":\"lagging\"}").getBytes();
    try (Services.SandboxPublishing publishing = sandbox(topics, dir);
        KafkaProducer<byte[], byte[]> producer = producer();
        PostClient client =
            new PostClient(ClientSettings.of(TestBroker.bootstrapServers()), topics)) {
      Answer answer;
      try (Ledger ledger = new Ledger(config, dir.resolve("streams"))) {
        send(client, producer, topics, 0, first, "K1", "req-1", body);
        answer = client.await("req-1", WAIT).orElseThrow();
        assertThat(answer.status()).isEqualTo(201);
        for (int i = 0; i < 20; i++) {
          send(client, producer, topics, 1, now, "K-fast-" + i, "req-f" + i, body);
        }
        for (int i = 0; i < 20; i++) {
          assertThat(client.await("req-f" + i, WAIT)).isPresent();
        }
      }
      deleteRecursively(dir.resolve("streams"));
      try (Ledger ledger = new Ledger(config, dir.resolve("streams"))) {
        send(
            client,
            producer,
            topics,
            2,
            first.plus(Duration.ofHours(24)).minus(Duration.ofMinutes(10)),
            "K1",
            "req-2",
            body);
        Answer retry = client.await("req-2", WAIT).orElseThrow();
        assertThat(retry.replayed()).isTrue();
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.body()).isEqualTo(answer.body());

        send(
            client, producer, topics, 0, now.minus(Duration.ofHours(26)), "K-old", "req-old", body);
        Answer old = client.await("req-old", WAIT).orElseThrow();
        assertThat(old.status()).isEqualTo(201);
      }
      assertThat(SandboxPlatform.readPosts(dir.resolve("sandbox"))).hasSize(22);
    }
  }

  /**
   * The ledger fans a batch out, then is down for longer than the deadline and its grace while the
   * publishers publish and write their outcomes. Restarted, it reads those outcomes before its tick
   * closes anything: every target published, none unknown.
   *
   * <p>Tagged {@code long}: it waits the real outcome grace out (2 min), so it runs under {@code
   * -Pcrash}; {@code LedgerHardeningTest#outcomeWrittenWhileTheLedgerWasDownPastTheGraceIsTaken}
   * covers it in the default suite.
   */
  @Test
  @Tag("long")
  @Timeout(value = 360, unit = TimeUnit.SECONDS)
  void ledgerDownLongerThanTheDeadlineTakesTheOutcomesWrittenMeanwhile(@TempDir Path dir)
      throws Exception {
    Topics topics = topics(null, 3);
    LedgerConfig config =
        LedgerConfig.defaults(topics)
            .with(
                c -> {
                  c.partitions = PARTITIONS;
                  c.targetDeadline = Duration.ofSeconds(10);
                  c.outcomeGrace = Platform.slowest().longestCallTime();
                });
    int requests = 6;
    try (PostClient client =
        new PostClient(ClientSettings.of(TestBroker.bootstrapServers()), topics)) {
      try (Ledger ledger = new Ledger(config, dir.resolve("streams"))) {
        for (int i = 0; i < requests; i++) {
          client.send(
              PRINCIPAL,
              "K" + i,
              "req-" + i,
              ("{\"targets\":[" + targets(3) + "],\"text\":\"down " + i + "\"}").getBytes());
        }
        await().atMost(WAIT).until(() -> countTasks(topics) == requests * 3);
      }
      try (Services.SandboxPublishing publishing = sandbox(topics, dir)) {
        await()
            .atMost(WAIT)
            .until(() -> SandboxPlatform.readPosts(dir.resolve("sandbox")).size() == requests * 3);
        Instant due =
            Instant.now().plus(config.targetDeadline()).plus(config.outcomeGrace()).plusSeconds(1);
        await().atMost(WAIT.plus(config.outcomeGrace())).until(() -> Instant.now().isAfter(due));
        try (Ledger ledger = new Ledger(config, dir.resolve("streams"))) {
          for (int i = 0; i < requests; i++) {
            Answer a = client.await("req-" + i, WAIT).orElseThrow();
            assertThat(a.status()).as("req-%d: %s", i, a.bodyText()).isEqualTo(201);
          }
        }
      }
    }
  }

  private static long countTasks(Topics topics) {
    return TopicReader.readAll(
            ClientSettings.of(TestBroker.bootstrapServers()),
            topics.publish(Platform.SANDBOX).name(),
            new StringDeserializer(),
            new ByteArrayDeserializer())
        .size();
  }

  private static void createCommandsTopic(Topics topics, Map<String, String> configs)
      throws Exception {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBroker.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topics.commands().name(), PARTITIONS, (short) 1).configs(configs)))
          .all()
          .get();
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            TestBroker.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all"),
        new ByteArraySerializer(),
        new ByteArraySerializer());
  }

  /** Sends a command the test's client did not write, after telling the client to await it. */
  private static void send(
      PostClient client,
      KafkaProducer<byte[], byte[]> producer,
      Topics topics,
      int partition,
      Instant timestamp,
      String key,
      String requestId,
      byte[] body)
      throws Exception {
    client.expect(requestId);
    RecordHeaders headers = new RecordHeaders();
    headers.add(LmpHeaders.PRINCIPAL, PRINCIPAL.getBytes(StandardCharsets.UTF_8));
    headers.add(LmpHeaders.IDEMPOTENCY_KEY, key.getBytes(StandardCharsets.UTF_8));
    headers.add(LmpHeaders.REQUEST_ID, requestId.getBytes(StandardCharsets.UTF_8));
    producer
        .send(
            new ProducerRecord<>(
                topics.commands().name(), partition, timestamp.toEpochMilli(), null, body, headers))
        .get();
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> all = new ArrayList<>(files.sorted(Comparator.reverseOrder()).toList());
      for (Path p : all) {
        Files.delete(p);
      }
    }
  }
}

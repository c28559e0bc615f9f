package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.client.Envelope.BatchStatus;
import dev.letmepost.client.Envelope.TargetStatus;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.ledger.LedgerTopology;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against the real ledger topology on a {@link TopologyTestDriver}: the commands it
 * writes are decided as the gateway's are, and it reads every answer and event the ledger writes.
 */
class LedgerRoundTripTest {
  private static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");
  private static final String PRINCIPAL = "key_alice";

  private final Topics topics = Topics.defaults();
  private final Path stateDir;
  private final TopologyTestDriver driver;
  private final TestInputTopic<byte[], byte[]> commands;
  private final TestInputTopic<String, TargetOutcome> outcomes;
  private final TestOutputTopic<String, byte[]> results;
  private final TestOutputTopic<String, byte[]> events;
  private final TestOutputTopic<String, PublishTask> twitter;
  private final TestOutputTopic<String, PublishTask> linkedin;

  LedgerRoundTripTest() throws IOException {
    LedgerConfig config = LedgerConfig.defaults(topics);
    stateDir = Files.createTempDirectory("client-ttd");
    driver =
        new TopologyTestDriver(
            LedgerTopology.topology(config),
            LedgerApp.streamsProperties(
                config, ClientSettings.of("unused:9092"), stateDir, Map.of()),
            T0);
    commands =
        driver.createInputTopic(
            topics.commands().name(),
            Serdes.ByteArray().serializer(),
            Serdes.ByteArray().serializer());
    outcomes =
        driver.createInputTopic(
            topics.outcomes().name(),
            Serdes.String().serializer(),
            topics.outcomes().valueSerde().serializer());
    results =
        driver.createOutputTopic(
            topics.results().name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer());
    events =
        driver.createOutputTopic(
            topics.events().name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer());
    twitter = publishTopic(Platform.TWITTER);
    linkedin = publishTopic(Platform.LINKEDIN);
    TestInputTopic<String, Account> accounts =
        driver.createInputTopic(
            topics.accounts().name(),
            Serdes.String().serializer(),
            topics.accounts().valueSerde().serializer());
    for (Account a :
        List.of(
            new Account(
                "acc_tw", PRINCIPAL, "twitter", "@a", Account.Status.connected, null, false),
            new Account(
                "acc_li", PRINCIPAL, "linkedin", "a", Account.Status.connected, null, false))) {
      accounts.pipeInput(a.accountId(), a, T0);
    }
  }

  private TestOutputTopic<String, PublishTask> publishTopic(Platform p) {
    return driver.createOutputTopic(
        topics.publish(p).name(),
        Serdes.String().deserializer(),
        topics.publish(p).valueSerde().deserializer());
  }

  @AfterEach
  void close() throws IOException {
    driver.close();
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private void send(Command c, Instant at) {
    ProducerRecord<byte[], byte[]> r = c.toRecord(topics.commands().name());
    commands.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), at));
  }

  /** The one answer the ledger wrote since the last read, as the client reads it. */
  private Answer onlyAnswer() {
    List<TestRecord<String, byte[]>> written = results.readRecordsToList();
    assertThat(written).hasSize(1);
    TestRecord<String, byte[]> r = written.get(0);
    return Answer.of(
        new ConsumerRecord<>(
            topics.results().name(),
            0,
            0,
            r.timestamp(),
            TimestampType.CREATE_TIME,
            0,
            0,
            r.key(),
            r.value(),
            r.headers(),
            Optional.empty()));
  }

  private List<Event> events() {
    return events.readRecordsToList().stream().map(r -> Event.parse(r.value())).toList();
  }

  @Test
  void aPostIsAnsweredWithItsEnvelopeAndItsRetryReplaysItByteForByte() {
    Post post = Post.builder().account("acc_tw").account("acc_li").text("shipped").build();
    send(new Command(PRINCIPAL, "K-1", "req-1", Request.post(post)), T0);
    assertThat(results.isEmpty()).as("no answer while the batch runs").isTrue();
    PublishTask tw = twitter.readValue();
    PublishTask li = linkedin.readValue();
    assertThat(tw.fingerprint()).isEqualTo(Fingerprint.of(PRINCIPAL, "POST", "/v1/posts", "K-1"));
    outcomes.pipeInput(
        tw.fingerprint(), TargetOutcome.published(tw, "p-1", "https://x/p-1"), T0.plusSeconds(1));
    outcomes.pipeInput(
        li.fingerprint(),
        TargetOutcome.failed(li, new TargetError("rate_limited", "slow down", true)),
        T0.plusSeconds(2));

    Answer first = onlyAnswer();
    assertThat(first.requestId()).isEqualTo("req-1");
    assertThat(first.status()).isEqualTo(207);
    assertThat(first.ok()).isTrue();
    assertThat(first.replayed()).isFalse();
    assertThat(first.idempotencyKey()).isEqualTo("K-1");
    assertThat(first.keyExpiresAt()).contains(T0.plusSeconds(24 * 3600));
    assertThat(first.error()).isEmpty();
    Envelope e = first.envelope().orElseThrow();
    assertThat(e.id()).isEqualTo(first.batchId()).isEqualTo(tw.batchId());
    assertThat(e.status()).isEqualTo(BatchStatus.PARTIAL_FAILED);
    assertThat(e.createdAt()).isEqualTo(T0);
    assertThat(e.completedAt()).isEqualTo(T0.plusSeconds(2));
    assertThat(e.results())
        .containsExactly(
            new Envelope.TargetResult(
                "acc_tw", "twitter", TargetStatus.PUBLISHED, "p-1", "https://x/p-1", null),
            new Envelope.TargetResult(
                "acc_li",
                "linkedin",
                TargetStatus.FAILED,
                null,
                null,
                new Envelope.TargetError("rate_limited", "slow down", true)));

    List<Event> written = events();
    assertThat(written)
        .extracting(Event::type)
        .containsExactly(
            Event.BATCH_ACCEPTED,
            Event.TARGET_PUBLISHED,
            Event.TARGET_FAILED,
            Event.BATCH_COMPLETED);
    assertThat(((Event.BatchEvent) written.get(3)).batch()).isEqualTo(e);
    assertThat(((Event.TargetEvent) written.get(2)).target()).isEqualTo(e.results().get(1));

    send(new Command(PRINCIPAL, "K-1", "req-2", Request.post(post)), T0.plusSeconds(60));
    Answer replay = onlyAnswer();
    assertThat(replay.requestId()).isEqualTo("req-2");
    assertThat(replay.replayed()).isTrue();
    assertThat(replay.status()).isEqualTo(207);
    assertThat(replay.body()).isEqualTo(first.body());
    assertThat(replay.keyExpires()).isEqualTo(first.keyExpires());
    assertThat(events()).as("a replay changes no batch").isEmpty();
  }

  @Test
  void anotherBodyUnderTheKeyIsAConflictAndABadBodyListsEveryFieldError() {
    send(
        new Command(
            PRINCIPAL,
            "K-1",
            "req-1",
            Request.post(Post.builder().account("acc_tw").text("a").build())),
        T0);
    send(
        new Command(
            PRINCIPAL,
            "K-1",
            "req-2",
            Request.post(Post.builder().account("acc_tw").text("b").build())),
        T0.plusSeconds(1));
    Answer conflict = onlyAnswer();
    assertThat(conflict.status()).isEqualTo(422);
    assertThat(conflict.ok()).isFalse();
    assertThat(conflict.envelope()).isEmpty();
    assertThat(conflict.error().orElseThrow().code()).isEqualTo("idempotency_conflict");

    send(
        new Command(
            PRINCIPAL,
            "K-2",
            "req-3",
            Request.post(Post.builder().account("").platform("myspace").text("x").build())),
        T0.plusSeconds(2));
    ApiError bad = onlyAnswer().error().orElseThrow();
    assertThat(bad.code()).isEqualTo("preflight_failed");
    assertThat(bad.errors())
        .extracting(ApiError.FieldError::code)
        .containsExactlyInAnyOrder("invalid_account_id", "unknown_platform");
    assertThat(bad.errors()).allSatisfy(f -> assertThat(f.field()).startsWith("targets"));
  }

  @Test
  void aScheduledPostIsAccepted202AndItsCancelIsTheCanceledEnvelope() {
    Instant later = T0.plusSeconds(3600);
    send(
        new Command(
            PRINCIPAL,
            "K-s",
            "req-1",
            Request.post(
                Post.builder().account("acc_tw").text("later").scheduledAt(later).build())),
        T0);
    Answer accepted = onlyAnswer();
    assertThat(accepted.status()).isEqualTo(202);
    Envelope scheduled = accepted.envelope().orElseThrow();
    assertThat(scheduled.status()).isEqualTo(BatchStatus.SCHEDULED);
    assertThat(scheduled.scheduledAt()).isEqualTo(later);

    send(
        new Command(PRINCIPAL, "K-c", "req-2", Request.cancel(accepted.batchId())),
        T0.plusSeconds(10));
    Answer canceled = onlyAnswer();
    assertThat(canceled.status()).isEqualTo(200);
    Envelope c = canceled.envelope().orElseThrow();
    assertThat(c.status()).isEqualTo(BatchStatus.CANCELED);
    assertThat(c.canceledAt()).isEqualTo(T0.plusSeconds(10));
    assertThat(c.results())
        .extracting(Envelope.TargetResult::status)
        .containsOnly(TargetStatus.CANCELED);
    assertThat(events())
        .extracting(Event::type)
        .containsExactly(Event.BATCH_ACCEPTED, Event.BATCH_SCHEDULED, Event.BATCH_CANCELED);
  }

  @Test
  void aKeylessCommandIsAnsweredUnderItsRequestId() {
    send(
        new Command(
            PRINCIPAL,
            null,
            "req-keyless",
            Request.post(Post.builder().account("acc_none").text("x").build())),
        T0);
    Answer a = onlyAnswer();
    assertThat(a.requestId()).isEqualTo("req-keyless");
    assertThat(a.idempotencyKey()).isNull();
    Envelope e = a.envelope().orElseThrow();
    assertThat(e.status()).isEqualTo(BatchStatus.FAILED);
    assertThat(e.results().get(0).error().code()).isEqualTo("account_not_found");
  }
}

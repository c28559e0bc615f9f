package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.client.Envelope.BatchStatus;
import dev.letmepost.client.Envelope.TargetStatus;
import dev.letmepost.ledger.LedgerHarness;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import dev.letmepost.wire.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client against the real ledger topology on a {@link TopologyTestDriver} ({@link
 * LedgerHarness}): the commands it writes are decided as the gateway's are, and it reads every
 * answer and event the ledger writes.
 */
class LedgerRoundTripTest {
  private static final Instant T0 = LedgerHarness.T0;
  private static final String PRINCIPAL = LedgerHarness.PRINCIPAL;

  private final Topics topics = Topics.defaults();
  private final LedgerHarness ledger =
      new LedgerHarness().account("acc_tw", "twitter").account("acc_li", "linkedin");

  @AfterEach
  void close() {
    ledger.close();
  }

  private void send(Command c, Instant at) {
    ledger.send(c.toRecord(topics.commands().name()), at);
  }

  /** The one task the ledger wrote to {@code platform}'s topic since the last read. */
  private PublishTask onlyTask(Platform platform) {
    List<PublishTask> tasks = ledger.tasks(platform);
    assertThat(tasks).hasSize(1);
    return tasks.get(0);
  }

  /** The one answer the ledger wrote since the last read, as the client reads it. */
  private Answer onlyAnswer() {
    TestRecord<String, byte[]> r = ledger.onlyResult();
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
    return ledger.events().stream().map(r -> Event.parse(r.value())).toList();
  }

  @Test
  void aPostIsAnsweredWithItsEnvelopeAndItsRetryReplaysItByteForByte() {
    Post post = Post.builder().account("acc_tw").account("acc_li").text("shipped").build();
    send(new Command(PRINCIPAL, "K-1", "req-1", Request.post(post)), T0);
    assertThat(ledger.results()).as("no answer while the batch runs").isEmpty();
    PublishTask tw = onlyTask(Platform.TWITTER);
    PublishTask li = onlyTask(Platform.LINKEDIN);
    assertThat(tw.fingerprint()).isEqualTo(Fingerprint.of(PRINCIPAL, "POST", "/v1/posts", "K-1"));
    ledger.outcome(TargetOutcome.published(tw, "p-1", "https://x/p-1"), T0.plusSeconds(1));
    ledger.outcome(
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

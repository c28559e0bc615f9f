package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.client.Envelope.BatchStatus;
import dev.letmepost.client.Envelope.TargetStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/**
 * Events as the ledger writes them: the contract's event examples, which {@code
 * LedgerEventsTest.theContractsEventExamplesAreWhatTheLedgerWrites} holds byte for byte to what the
 * ledger writes.
 */
class EventTest {
  private static final String BATCH = "batch_01M8KJT9G01K2N192X1Z0D3KC1";

  static List<String> contractExamples() throws IOException {
    String doc = Files.readString(Path.of("docs/contract.md"));
    String section =
        doc.substring(
            doc.indexOf("<!-- event-examples:start -->"),
            doc.indexOf("<!-- event-examples:end -->"));
    List<String> events = new ArrayList<>();
    for (String line : section.split("\n")) {
      if (line.startsWith("{")) {
        events.add(line);
      }
    }
    assertThat(events).hasSize(6);
    return events;
  }

  private static Event parse(String json) {
    return Event.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void everyEventOfTheContractReadsAsItsKind() throws IOException {
    List<Event> events = contractExamples().stream().map(EventTest::parse).toList();
    assertThat(events)
        .extracting(Event::type)
        .containsExactly(
            Event.BATCH_ACCEPTED,
            Event.BATCH_SCHEDULED,
            Event.TARGET_PUBLISHED,
            Event.TARGET_FAILED,
            Event.TARGET_UNKNOWN,
            Event.BATCH_COMPLETED);
    assertThat(events).allSatisfy(e -> assertThat(e.principal()).isEqualTo("key_alice"));
    assertThat(events).allSatisfy(e -> assertThat(e.id()).matches("evt_[0-9a-f]{32}"));

    Event.BatchEvent accepted = (Event.BatchEvent) events.get(0);
    assertThat(accepted.batchId()).isEqualTo(BATCH);
    assertThat(accepted.createdAt()).isEqualTo(Instant.parse("2026-11-29T12:00:00Z"));
    assertThat(accepted.batch().status()).isEqualTo(BatchStatus.RUNNING);
    assertThat(accepted.batch().results())
        .extracting(Envelope.TargetResult::status)
        .containsOnly(TargetStatus.PENDING);

    Event.BatchEvent scheduled = (Event.BatchEvent) events.get(1);
    assertThat(scheduled.batch().status()).isEqualTo(BatchStatus.SCHEDULED);
    assertThat(scheduled.batch().scheduledAt()).isEqualTo(Instant.parse("2026-11-29T13:00:00Z"));

    Event.TargetEvent published = (Event.TargetEvent) events.get(2);
    assertThat(published.batchId()).isEqualTo(BATCH);
    assertThat(published.targetIndex()).isZero();
    assertThat(published.target())
        .isEqualTo(
            new Envelope.TargetResult(
                "acc_tw",
                "twitter",
                TargetStatus.PUBLISHED,
                "post-acc_tw",
                "sandbox://acc_tw",
                null));

    Event.TargetEvent failed = (Event.TargetEvent) events.get(3);
    assertThat(failed.targetIndex()).isEqualTo(1);
    assertThat(failed.target().error())
        .isEqualTo(new Envelope.TargetError("rate_limited", "slow down", true));

    Event.TargetEvent unknown = (Event.TargetEvent) events.get(4);
    assertThat(unknown.target().status()).isEqualTo(TargetStatus.UNKNOWN);
    assertThat(unknown.target().error().code()).isEqualTo("outcome_unknown");
    assertThat(unknown.target().error().retryable()).isNull();

    Event.BatchEvent completed = (Event.BatchEvent) events.get(5);
    Envelope e = completed.batch();
    assertThat(e.id()).isEqualTo(BATCH);
    assertThat(e.object()).isEqualTo("batch");
    assertThat(e.status()).isEqualTo(BatchStatus.PARTIAL_FAILED);
    assertThat(e.completedAt()).isEqualTo(Instant.parse("2026-11-29T12:07:00Z"));
    assertThat(e.results()).containsExactly(published.target(), failed.target(), unknown.target());
    assertThat(e.retries()).isEmpty();
    assertThat(e.retryOf()).isNull();
  }

  @Test
  void aWebhookDeliveryReadsTooWithoutPrincipal() throws IOException {
    String fromTopic = contractExamples().get(3);
    String delivery =
        fromTopic.replace("\"principal\":\"key_alice\",\"batchId\":\"" + BATCH + "\",", "");
    assertThat(delivery).isNotEqualTo(fromTopic);
    Event.TargetEvent e = (Event.TargetEvent) parse(delivery);
    assertThat(e.principal()).isNull();
    assertThat(e.batchId()).as("from the data").isEqualTo(BATCH);

    String batchDelivery =
        contractExamples()
            .get(5)
            .replace("\"principal\":\"key_alice\",\"batchId\":\"" + BATCH + "\",", "");
    assertThat(((Event.BatchEvent) parse(batchDelivery)).batchId()).isEqualTo(BATCH);
  }

  @Test
  void aNewerLedgersTypesFieldsAndStatusesStillRead() {
    Event future =
        parse(
            "{\"id\":\"evt_1\",\"type\":\"batch.archived\",\"createdAt\":\"2026-11-29T12:00:00.000Z\","
                + "\"principal\":\"p\",\"batchId\":\"b\",\"data\":{\"reason\":\"old\"},\"extra\":1}");
    assertThat(future).isInstanceOf(Event.Unrecognized.class);
    assertThat(((Event.Unrecognized) future).data().get("reason").asText()).isEqualTo("old");

    Event changed =
        parse(
            "{\"id\":\"evt_2\",\"type\":\"batch.completed\",\"createdAt\":\"2026-11-29T12:00:00+01:00\","
                + "\"principal\":\"p\",\"batchId\":\"b\",\"data\":{\"batch\":{\"id\":\"b\","
                + "\"object\":\"batch\",\"status\":\"archived\",\"colour\":\"red\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"results\":[{\"accountId\":\"a\","
                + "\"platform\":\"myspace\",\"status\":\"vanished\",\"likes\":3}]}}}");
    Event.BatchEvent e = (Event.BatchEvent) changed;
    assertThat(e.createdAt()).isEqualTo(Instant.parse("2026-11-29T11:00:00Z"));
    assertThat(e.batch().status()).isEqualTo(BatchStatus.UNRECOGNIZED);
    assertThat(e.batch().results().get(0).status()).isEqualTo(TargetStatus.UNRECOGNIZED);
    assertThat(e.batch().results().get(0).platform()).isEqualTo("myspace");
  }

  @Test
  void whatIsNoEventIsRefusedNamingWhy() {
    assertThatThrownBy(() -> parse("[1]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected a JSON object");
    assertThatThrownBy(() -> parse("{\"id\":\"e\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id, type and createdAt are required");
    assertThatThrownBy(() -> parse("{\"id\":\"e\",\"type\":\"t\",\"createdAt\":\"yesterday\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'yesterday'");
    assertThatThrownBy(() -> parse("{not json"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a valid event JSON value");
  }

  @Test
  void theDeserializerReadsEventsKeepsTombstonesAndNamesTheTopicOfAnUnreadableValue()
      throws IOException {
    var d = Event.deserializer();
    byte[] first = contractExamples().get(0).getBytes(StandardCharsets.UTF_8);
    assertThat(d.deserialize("lmp.post-events", first)).isEqualTo(Event.parse(first));
    assertThat(d.deserialize("lmp.post-events", null)).isNull();
    assertThatThrownBy(
            () -> d.deserialize("lmp.post-events", "nope".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("lmp.post-events");
  }
}

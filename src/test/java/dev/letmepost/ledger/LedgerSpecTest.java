package dev.letmepost.ledger;

import static dev.letmepost.http.ApiSpec.asyncapiSchema;
import static dev.letmepost.http.ApiSpec.openapiSchema;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.http.ApiSpec;
import dev.letmepost.publish.JournalEntry;
import dev.letmepost.webhook.DeliveryAttempt;
import dev.letmepost.webhook.PendingDelivery;
import dev.letmepost.webhook.WebhookBody;
import dev.letmepost.webhook.WebhookEndpoint;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.TargetError;
import dev.letmepost.wire.TargetOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real records against the AsyncAPI document: the ledger on a TopologyTestDriver ({@link
 * LedgerHarness}) answers, fans out, closes targets, ticks and dead-letters through published,
 * failed, unknown, scheduled and refused requests; every value it wrote validates against its
 * topic's payload schema and every header it set is one its message declares. The other topics'
 * values (accounts, API keys, journal entries, webhook endpoints, pending deliveries, delivery
 * attempts, webhook bodies) are written with the code's own serialization and validated the same.
 */
class LedgerSpecTest {
  static final String MESSAGES = "/components/messages/";

  LedgerHarness ledger;
  final List<String> problems = new ArrayList<>();

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness()
            .account("acc_tw", "twitter")
            .account("acc_li", "linkedin")
            .account("acc_bs", "bluesky");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /** The header names the AsyncAPI document declares on message {@code name}. */
  static Set<String> declaredHeaders(String name) {
    Set<String> out = new TreeSet<>();
    ApiSpec.document(ApiSpec.ASYNCAPI)
        .at(MESSAGES + name + "/headers/properties")
        .fieldNames()
        .forEachRemaining(out::add);
    return out;
  }

  void check(String what, String schema, byte[] value) {
    ApiSpec.validate(schema, value).forEach(p -> problems.add(what + ": " + p));
  }

  void checkHeaders(String what, String message, Iterable<Header> headers) {
    Set<String> declared = declaredHeaders(message);
    for (Header h : headers) {
      if (!declared.contains(h.key())) {
        problems.add(what + ": header " + h.key() + " not declared on " + message);
      }
    }
  }

  void checkResults() {
    for (TestRecord<String, byte[]> r : ledger.results()) {
      String status = LedgerHarness.header(r, LmpHeaders.STATUS);
      String what = "result " + status + " " + new String(r.value(), StandardCharsets.UTF_8);
      check(what, asyncapiSchema("PostResultBody"), r.value());
      check(
          what,
          status.startsWith("2") ? openapiSchema("Envelope") : openapiSchema("ErrorBody"),
          r.value());
      checkHeaders(what, "PostResult", r.headers());
    }
  }

  List<PublishTask> checkTasks() {
    List<PublishTask> tasks = new ArrayList<>();
    for (PublishTask t : ledger.allTasks()) {
      check("task " + t.taskId(), asyncapiSchema("PublishTask"), Json.write(t));
      tasks.add(t);
    }
    return tasks;
  }

  List<PostEvent> checkEvents() {
    List<PostEvent> events = new ArrayList<>();
    for (TestRecord<String, byte[]> r : ledger.events()) {
      String what = "event " + new String(r.value(), StandardCharsets.UTF_8);
      check(what, asyncapiSchema("PostEvent"), r.value());
      checkHeaders(what, "PostEvent", r.headers());
      PostEvent e = Json.read(r.value(), PostEvent.class);
      check(
          what + " as delivered",
          openapiSchema("WebhookBody"),
          WebhookBody.of(e).getBytes(StandardCharsets.UTF_8));
      events.add(e);
    }
    return events;
  }

  @Test
  void aBatchPublishedFailedAndUnknownWritesOnlyRecordsOfTheDocument() {
    ledger.command(body("acc_tw", "acc_li", "acc_bs")).key("K1").request("req-1").send();
    List<PublishTask> tasks = checkTasks();
    assertThat(tasks).hasSize(3);
    TargetOutcome published =
        TargetOutcome.published(tasks.get(0), "post-1", "sandbox://acc_tw/post-1");
    TargetOutcome failed =
        TargetOutcome.failed(
            tasks.get(1), new TargetError("rate_limited", "429 from linkedin", true));
    for (TargetOutcome o : List.of(published, failed)) {
      check("outcome " + o.taskId(), asyncapiSchema("TargetOutcome"), Json.write(o));
      ledger.outcome(o, T0.plusSeconds(1));
    }
    ledger.advanceWallClock(LedgerConfig.DEFAULT_DEADLINE.plus(LedgerConfig.DEFAULT_OUTCOME_GRACE));
    List<TestRecord<String, byte[]>> ticks = ledger.ticks();
    assertThat(ticks).isNotEmpty();
    for (TestRecord<String, byte[]> t : ticks) {
      check("tick", asyncapiSchema("LedgerTick"), t.value());
      checkHeaders("tick", "LedgerTick", t.headers());
      assertThat(t.key()).matches("~ledger-tick/[0-9]+");
    }
    ledger.command(body("acc_tw", "acc_li", "acc_bs")).key("K1").request("req-2").send();
    checkResults();
    List<PostEvent> events = checkEvents();
    assertThat(events.stream().map(PostEvent::type))
        .contains(
            PostEvent.BATCH_ACCEPTED,
            PostEvent.TARGET_PUBLISHED,
            PostEvent.TARGET_FAILED,
            PostEvent.TARGET_UNKNOWN,
            PostEvent.BATCH_COMPLETED);
    assertThat(problems).isEmpty();
  }

  @Test
  void scheduledAndRefusedRequestsWriteOnlyRecordsOfTheDocument() {
    ledger
        .command(
            "{\"targets\":[{\"accountId\":\"acc_tw\"},{\"platform\":\"bluesky\"}],\"text\":\"later\","
                + "\"scheduledAt\":\"2026-11-29T13:00:00Z\"}")
        .key("S1")
        .request("req-s")
        .send();
    ledger.command("{\"targets\":[],\"colour\":\"blue\"}").key("P1").request("req-p").send();
    ledger.command(body("acc_tw")).key("C1").request("req-c1").send();
    ledger.command(body("acc_li")).key("C1").request("req-c2").send();
    ledger.command(body("acc_tw")).key("").request("req-k").send();
    ledger
        .command(body("acc_tw"))
        .key("R1")
        .request("req-r")
        .header(LmpHeaders.METHOD, "DELETE".getBytes(StandardCharsets.UTF_8))
        .send();
    ledger.command(new byte[600 * 1024]).key("B1").request("req-b").send();
    checkResults();
    checkTasks();
    checkEvents();
    ledger.advanceWallClock(Duration.ofHours(1).plusSeconds(1));
    assertThat(checkTasks()).as("the scheduled batch released").hasSize(2);
    checkEvents();

    ledger.command(body("acc_tw")).principal(null).request("req-d").send();
    List<TestRecord<byte[], byte[]>> dead = ledger.deadLetters();
    assertThat(dead).hasSize(1);
    // A dead letter keeps the original record's headers; the ones it adds are lmp-error-*.
    List<Header> added = new ArrayList<>();
    dead.get(0)
        .headers()
        .forEach(
            h -> {
              if (h.key().startsWith("lmp-error-")) {
                added.add(h);
              }
            });
    assertThat(added)
        .extracting(Header::key)
        .contains(LmpHeaders.ERROR_CODE, LmpHeaders.ERROR_OFFSET);
    checkHeaders("dead letter", "DeadLetter", added);
    assertThat(problems).isEmpty();
  }

  @Test
  void storedValuesOfTheOtherTopicsAreRecordsOfTheDocument() {
    Account account =
        new Account(
            "acc_m",
            "key_alice",
            "mastodon",
            "@alice",
            Account.Status.connected,
            "env:MASTODON_ALICE",
            true,
            "https://hachyderm.io");
    check("account", asyncapiSchema("Account"), Json.write(account));
    ApiKeyRecord key = ApiKeyRecord.active("key_alice", T0).revoked(T0.plusSeconds(5));
    check("api key", asyncapiSchema("ApiKeyRecord"), Json.write(key));
    ledger.command(body("acc_tw")).key("J1").request("req-j").send();
    PublishTask task = ledger.allTasks().get(0);
    check(
        "journal entry",
        asyncapiSchema("JournalEntry"),
        Json.write(new JournalEntry(task, true, "pub-1", T0.toEpochMilli(), null, false)));
    WebhookEndpoint endpoint =
        new WebhookEndpoint(
                "we_1",
                "key_alice",
                "https://93.184.215.14/hooks",
                List.of(PostEvent.BATCH_COMPLETED),
                WebhookEndpoint.Status.enabled,
                "2026-11-29T12:00:00.000Z",
                T0.toEpochMilli(),
                null,
                null)
            .disabled("failing for 5 days", "2026-12-04T12:00:00.000Z");
    check("webhook endpoint", asyncapiSchema("WebhookEndpoint"), endpoint.toJson());
    PostEvent event = Json.read(ledger.events().get(0).value(), PostEvent.class);
    PendingDelivery pending =
        new PendingDelivery(
                "we_1",
                event.id(),
                event.type(),
                WebhookBody.of(event),
                0,
                T0.toEpochMilli(),
                T0.toEpochMilli())
            .retryAt(T0.plusSeconds(30).toEpochMilli());
    check("pending delivery", asyncapiSchema("PendingDelivery"), pending.toJson());
    DeliveryAttempt attempt =
        new DeliveryAttempt(
            "we_1",
            event.id(),
            event.type(),
            1,
            "2026-11-29T12:00:01.000Z",
            DeliveryAttempt.SUCCEEDED,
            204,
            7,
            null,
            null);
    check("delivery attempt", openapiSchema("DeliveryAttempt"), attempt.toJson());
    assertThat(problems).isEmpty();
  }

  @Test
  void recordCheckFailsOnAValueOrHeaderTheDocumentDoesNotHave() {
    ledger.command(body("acc_tw")).key("F1").request("req-f").send();
    PublishTask task = ledger.allTasks().get(0);
    JsonNode tree = Json.MAPPER.valueToTree(task);
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree).put("platform", "myspace");
    check("task", asyncapiSchema("PublishTask"), Json.write(tree));
    checkHeaders(
        "result",
        "PostResult",
        List.of(
            new org.apache.kafka.common.header.internals.RecordHeader("lmp-made-up", new byte[0])));
    assertThat(problems)
        .hasSize(2)
        .anySatisfy(p -> assertThat(p).startsWith("task: ").contains("platform"))
        .contains("result: header lmp-made-up not declared on PostResult");
  }
}

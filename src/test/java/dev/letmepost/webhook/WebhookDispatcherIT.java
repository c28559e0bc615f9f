package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.Lmp;
import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dispatcher on the broker: the ledger (in-process, demo accounts, the sandbox) writes the
 * events of real batches, the dispatcher ({@code lmp webhooks dispatch}, a child JVM) delivers them
 * to a slow receiver, is SIGKILLed mid-delivery and restarted under the same instance id; every
 * event arrives at least once, with its id and a valid signature, and a redelivery carries the same
 * id and body.
 */
class WebhookDispatcherIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  /** One request the receiver got. */
  record Received(String eventId, String signature, byte[] body, Instant at) {}

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void everyEventOfABatchArrivesSignedAtLeastOnceAcrossASigkilledDispatcher(@TempDir Path dir)
      throws Exception {
    Topics topics = new Topics(TestBroker.uniquePrefix());
    TestBroker.createTopics(topics, 3);
    String bootstrap = TestBroker.bootstrapServers();
    Path keyFile = dir.resolve("signing-key");
    Files.writeString(keyFile, "it-webhook-signing-key-0123456789abcdef\n");
    SigningKey key = SigningKey.load(keyFile);

    List<Received> received = new CopyOnWriteArrayList<>();
    MockWebServer receiver = new MockWebServer();
    receiver.setDispatcher(
        new Dispatcher() {
          @Override
          public MockResponse dispatch(RecordedRequest r) {
            received.add(
                new Received(
                    r.getHeader("Lmp-Event-Id"),
                    r.getHeader("Lmp-Signature"),
                    r.getBody().readByteArray(),
                    Instant.now()));
            // Slow enough that a kill lands while deliveries are in progress.
            return new MockResponse()
                .setResponseCode(200)
                .setHeadersDelay(150, TimeUnit.MILLISECONDS);
          }
        });
    receiver.start(InetAddress.getLoopbackAddress(), 0);

    LedgerConfig ledger = LedgerConfig.defaults(topics).with(c -> c.partitions = 3);
    try (Services services =
        Services.start(
            Services.Options.allInOne(bootstrap, dir.resolve("data"), true, ledger, Map.of()))) {
      // lmp webhooks add, as a user runs it: prints the endpoint and its secret once.
      StringWriter out = new StringWriter();
      var cli = Lmp.commandLine();
      cli.setOut(new PrintWriter(out));
      List<String> add =
          new ArrayList<>(
              List.of(
                  "webhooks",
                  "add",
                  "--bootstrap-servers",
                  bootstrap,
                  "--topic-prefix",
                  topics.prefix(),
                  "--webhook-signing-key-file",
                  keyFile.toString(),
                  "--demo",
                  "--principal",
                  Services.DEMO_PRINCIPAL,
                  "--url",
                  receiver.url("/lmp-hooks").toString()));
      for (String type : EventTypes.ALL) {
        add.add("--event");
        add.add(type);
      }
      assertThat(cli.execute(add.toArray(String[]::new))).as(out.toString()).isZero();
      JsonNode created = Json.MAPPER.readTree(out.toString().lines().findFirst().orElseThrow());
      String endpointId = created.get("id").asText();
      String secret = created.get("secret").asText();
      assertThat(secret).isEqualTo(key.secretFor(endpointId));

      List<String> dispatchArgs =
          List.of(
              "--bootstrap-servers",
              bootstrap,
              "--topic-prefix",
              topics.prefix(),
              "--webhook-signing-key-file",
              keyFile.toString(),
              "--demo",
              "--instance-id",
              "it-dispatcher",
              "--health-port",
              "0");
      ChildLmp dispatcher = ChildLmp.webhookDispatcher(dispatchArgs);
      ChildLmp restarted = null;
      try {
        dispatcher.awaitRunning(WAIT);
        assertThat(services.awaitRunning(WAIT)).as("ledger RUNNING").isTrue();

        // Six batches of three targets: 6 x (accepted + 3 published + completed) = 30 events.
        int batches = 6;
        try (PostClient client = new PostClient(ClientSettings.of(bootstrap), topics)) {
          for (int i = 0; i < batches; i++) {
            byte[] body =
                ("{\"targets\":[{\"accountId\":\"acc_demo_twitter\"},{\"accountId\":\"acc_demo_linkedin\"},"
                        + "{\"accountId\":\"acc_demo_bluesky\"}],\"text\":\"webhooks "
                        + i
                        + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(client.post(Services.DEMO_PRINCIPAL, "hook-" + i, "req-" + i, body, WAIT))
                .hasValueSatisfying(a -> assertThat(a.status()).isEqualTo(201));
          }
        }
        Set<String> expected = eventIds(bootstrap, topics);
        assertThat(expected).hasSize(batches * 5);

        // SIGKILL mid-delivery: some delivered, others pending or in flight.
        Awaitility.await().atMost(WAIT).until(() -> received.size() >= 8);
        dispatcher.kill();
        int beforeKill = distinct(received).size();
        assertThat(beforeKill).as("killed mid-delivery").isLessThan(expected.size());

        restarted = ChildLmp.webhookDispatcher(dispatchArgs);
        restarted.awaitRunning(WAIT);
        ChildLmp r = restarted;
        Awaitility.await()
            .atMost(WAIT)
            .untilAsserted(
                () ->
                    assertThat(distinct(received))
                        .as("dispatcher output:\n" + r.output())
                        .containsAll(expected));
      } finally {
        dispatcher.close();
        if (restarted != null) {
          restarted.close();
        }
        receiver.shutdown();
      }

      for (Received r : received) {
        assertThat(
                WebhookSignature.verify(
                    secret, r.signature(), r.body(), r.at(), WebhookSignature.TOLERANCE))
            .as("signature of %s", r.eventId())
            .isTrue();
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.get("id").asText()).isEqualTo(r.eventId());
        assertThat(body.fieldNames())
            .toIterable()
            .containsExactly("id", "type", "createdAt", "data");
      }
      // A redelivery is the same event: same id, same body bytes.
      Map<String, List<Received>> byId = new java.util.HashMap<>();
      received.forEach(r -> byId.computeIfAbsent(r.eventId(), k -> new ArrayList<>()).add(r));
      byId.values()
          .forEach(list -> list.forEach(r -> assertThat(r.body()).isEqualTo(list.get(0).body())));
      System.out.printf(
          "WebhookDispatcherIT: %d events, %d deliveries (%d redelivered after the SIGKILL)%n",
          byId.size(), received.size(), received.size() - byId.size());
    }
  }

  private static Set<String> distinct(List<Received> received) {
    Set<String> ids = new HashSet<>();
    received.forEach(r -> ids.add(r.eventId()));
    return ids;
  }

  private static Set<String> eventIds(String bootstrap, Topics topics) {
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<String, byte[]> r :
        TopicReader.readAll(
            ClientSettings.of(bootstrap),
            topics.events().name(),
            new StringDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      PostEvent e = Json.read(r.value(), PostEvent.class);
      if (e.principal().equals(Services.DEMO_PRINCIPAL)) {
        ids.add(e.id());
      }
    }
    return ids;
  }
}

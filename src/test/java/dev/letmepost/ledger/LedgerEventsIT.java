package dev.letmepost.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.cli.TopicReader;
import dev.letmepost.client.Answer;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.testing.Workload;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PostEvent;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle events on a real broker, across a crash: the ledger (a child JVM) is killed with
 * SIGKILL while batches run and restarted on its state; a {@code read_committed} consumer of the
 * events topic then sees every batch's events exactly once (no id twice, though the aborted
 * transaction's changes were processed again) and in order within the batch, the completed one
 * carrying the answer's envelope byte for byte.
 */
class LedgerEventsIT {
  private static final int PARTITIONS = 2;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aReadCommittedConsumerSeesEachEventOnceAndInOrderPerBatchAcrossALedgerKill(@TempDir Path dir)
      throws Exception {
    String bootstrap = TestBroker.bootstrapServers();
    String prefix = TestBroker.uniquePrefix();
    Topics topics = new Topics(prefix);
    TestBroker.createTopics(topics, PARTITIONS);
    Services.registerDemoAccounts(ClientSettings.of(bootstrap), topics);
    try (Services.SandboxPublishing publishing =
            Services.startSandboxPublishing(
                ClientSettings.of(bootstrap),
                topics,
                dir.resolve("sandbox"),
                0,
                Faults.NONE,
                "events-it");
        PostClient client = new PostClient(ClientSettings.of(bootstrap), topics)) {
      Workload work = new Workload(client, 11);
      ChildLmp ledger = ChildLmp.ledger(bootstrap, prefix, PARTITIONS, dir.resolve("ledger"));
      try {
        ledger.awaitRunning(Duration.ofSeconds(90));
        work.sendNew(30);
        work.sendRetries(10);
        work.awaitFirstAnswer(Duration.ofSeconds(60));
        work.sendNew(30);
        work.sendRetries(10);
        ledger.kill();
        work.sendNew(10);
        ledger = ChildLmp.ledger(bootstrap, prefix, PARTITIONS, dir.resolve("ledger"));
        ledger.awaitRunning(Duration.ofSeconds(90));
        work.sendRetries(20);

        Map<String, Answer> answers = work.awaitAnswers(Duration.ofSeconds(60));
        work.assertEveryRequestAnsweredOnceAndEachTargetTaskedOnce(bootstrap, topics, answers);

        Map<String, byte[]> envelopes = new LinkedHashMap<>();
        answers.values().stream()
            .filter(a -> !a.replayed())
            .forEach(a -> envelopes.put(a.batchId(), a.body()));
        assertThat(envelopes).hasSize(70);

        List<ConsumerRecord<String, byte[]>> records =
            TopicReader.readAll(
                ClientSettings.of(bootstrap),
                topics.events().name(),
                new StringDeserializer(),
                new ByteArrayDeserializer());
        Map<String, List<PostEvent>> byBatch = new LinkedHashMap<>();
        Set<String> ids = new HashSet<>();
        for (ConsumerRecord<String, byte[]> r : records) {
          PostEvent e = Json.read(r.value(), PostEvent.class);
          assertThat(r.key()).isEqualTo(e.batchId());
          assertThat(
                  new String(
                      r.headers().lastHeader(PostEvents.TYPE_HEADER).value(),
                      StandardCharsets.UTF_8))
              .isEqualTo(e.type());
          assertThat(ids.add(e.id())).as("event %s seen once", e.id()).isTrue();
          assertThat(e.principal()).isEqualTo(Workload.PRINCIPAL);
          byBatch.computeIfAbsent(e.batchId(), b -> new ArrayList<>()).add(e);
        }
        assertThat(byBatch.keySet()).containsExactlyInAnyOrderElementsOf(envelopes.keySet());
        byBatch.forEach(
            (batchId, events) -> {
              HostileInputProperties.checkLifecycle(batchId, events, "the broker run");
              PostEvent completed = events.get(events.size() - 1);
              assertThat(Json.write(completed.data().get("batch")))
                  .as("batch.completed of %s carries its answer's envelope", batchId)
                  .isEqualTo(envelopes.get(batchId));
            });
      } finally {
        ledger.close();
      }
    }
  }
}

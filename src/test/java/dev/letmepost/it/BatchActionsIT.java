package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.client.Answer;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.platform.sandbox.SandboxPlatform;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch actions as commands on {@code lmp.post-commands} (headers {@code lmp-method}, {@code
 * lmp-path}) on the embedded broker with the demo sandbox: a scheduled batch canceled and nothing
 * in the sandbox's ground truth once its time has passed; a batch whose target failed retryably
 * (the sandbox rate limiting every call until the target's deadline) retried to success.
 */
class BatchActionsIT {
  private static final Duration WAIT = Duration.ofSeconds(40);

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aCanceledBatchNeverPublishesAndAFailedRetryableTargetIsRetriedToSuccess(@TempDir Path data)
      throws Exception {
    Topics topics = Topics.defaults();
    LedgerConfig ledger =
        LedgerConfig.defaults(topics)
            .with(
                c -> {
                  c.partitions = 3;
                  c.targetDeadline = Duration.ofSeconds(5);
                });
    try (Services services =
            Services.start(Services.Options.allInOne(null, data, true, ledger, Map.of()));
        PostClient client = new PostClient(services.client(), topics);
        KafkaProducer<byte[], byte[]> producer = producer(services.bootstrapServers())) {
      assertThat(services.awaitRunning(Duration.ofSeconds(60))).as("ledger RUNNING").isTrue();

      // Schedule, cancel, wait past the time: nothing in the ground truth.
      Instant due = Instant.now().plusSeconds(6);
      byte[] scheduled =
          ("{\"targets\":[{\"accountId\":\"acc_demo_bluesky\"}],\"text\":\"never\","
                  + "\"scheduledAt\":\""
                  + due
                  + "\"}")
              .getBytes(StandardCharsets.UTF_8);
      Answer accepted = client.post("key_demo", "K-sched", "req-s1", scheduled, WAIT).orElseThrow();
      assertThat(accepted.status()).isEqualTo(202);
      String id = accepted.batchId();
      send(client, producer, topics, "DELETE", "/v1/batches/" + id, "K-cancel", "req-c1", "");
      Answer canceled = client.await("req-c1", WAIT).orElseThrow();
      assertThat(canceled.status()).isEqualTo(200);
      JsonNode envelope = Json.MAPPER.readTree(canceled.body());
      assertThat(envelope.get("status").asText()).isEqualTo("canceled");
      assertThat(envelope.at("/results/0/status").asText()).isEqualTo("canceled");
      send(client, producer, topics, "DELETE", "/v1/batches/" + id, "K-cancel", "req-c2", "");
      Answer again = client.await("req-c2", WAIT).orElseThrow();
      assertThat(again.replayed()).isTrue();
      assertThat(again.body()).isEqualTo(canceled.body());

      // A batch whose target is rate limited until its deadline: failed, retryable.
      services.sandboxPublishing().sandbox().faults(Faults.NONE.withRateLimitRate(1.0));
      byte[] post =
          "{\"targets\":[{\"accountId\":\"acc_demo_twitter\"}],\"text\":\"again\"}"
              .getBytes(StandardCharsets.UTF_8);
      Answer failed = client.post("key_demo", "K-post", "req-p1", post, WAIT).orElseThrow();
      assertThat(failed.status()).isEqualTo(207);
      JsonNode target = Json.MAPPER.readTree(failed.body()).at("/results/0");
      assertThat(target.get("status").asText()).isEqualTo("failed");
      assertThat(target.at("/error/retryable").asBoolean()).isTrue();

      services.sandboxPublishing().sandbox().faults(Faults.NONE);
      send(
          client,
          producer,
          topics,
          "POST",
          "/v1/batches/" + failed.batchId() + "/retry",
          "K-retry",
          "req-r1",
          "");
      Answer retried = client.await("req-r1", WAIT).orElseThrow();
      assertThat(retried.status()).isEqualTo(201);
      JsonNode retry = Json.MAPPER.readTree(retried.body());
      assertThat(retry.get("retryOf").asText()).isEqualTo(failed.batchId());
      assertThat(retry.at("/results/0/status").asText()).isEqualTo("published");

      // The client re-sends the retry under another key: refused, naming the retry batch.
      send(
          client,
          producer,
          topics,
          "POST",
          "/v1/batches/" + failed.batchId() + "/retry",
          "K-retry-2",
          "req-r2",
          "");
      Answer secondRetry = client.await("req-r2", WAIT).orElseThrow();
      assertThat(secondRetry.status()).isEqualTo(409);
      assertThat(secondRetry.bodyText())
          .contains("batch_not_retryable", "retry batch '" + retry.get("id").asText() + "'");

      // The scheduled time is long past (the retry took a target deadline): still nothing.
      await().atMost(WAIT).until(() -> Instant.now().isAfter(due.plusSeconds(3)));
      var posts = SandboxPlatform.readPosts(data.resolve("sandbox"));
      assertThat(posts).extracting(SandboxPlatform.AcceptedPost::text).containsExactly("again");
      assertThat(posts.get(0).accountId()).isEqualTo("acc_demo_twitter");

      Answer replay = client.post("key_demo", "K-post", "req-p2", post, WAIT).orElseThrow();
      assertThat(replay.body()).as("the first answer is the contract").isEqualTo(failed.body());
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Sends a command the test's client did not write, after telling the client to await it. */
  private static void send(
      PostClient client,
      KafkaProducer<byte[], byte[]> producer,
      Topics topics,
      String method,
      String path,
      String key,
      String requestId,
      String body) {
    client.expect(requestId);
    RecordHeaders h = new RecordHeaders();
    h.add(LmpHeaders.PRINCIPAL, utf8("key_demo"));
    h.add(LmpHeaders.REQUEST_ID, utf8(requestId));
    h.add(LmpHeaders.METHOD, utf8(method));
    h.add(LmpHeaders.PATH, utf8(path));
    h.add(LmpHeaders.IDEMPOTENCY_KEY, utf8(key));
    producer.send(new ProducerRecord<>(topics.commands().name(), null, null, null, utf8(body), h));
    producer.flush();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

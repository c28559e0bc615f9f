package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.BODY;
import static dev.letmepost.gateway.GatewayHttpTest.ENVELOPE;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static dev.letmepost.gateway.GatewayHttpTest.answer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.letmepost.client.Answer;
import dev.letmepost.client.Backoff;
import dev.letmepost.client.Command;
import dev.letmepost.client.MockReaders;
import dev.letmepost.client.Request;
import dev.letmepost.client.TopicFollower;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The gateway's background readers: restarted when they fail, and named by /readyz meanwhile. */
class GatewayReadersTest {
  static final String SECRET = "lmp_live_followedKeyFFFFFFFFFFFFFFFFFFFFFF";
  final HttpClient http = HttpClient.newHttpClient();

  static ConsumerRecord<String, byte[]> keyRecord(long offset, ApiKeyRecord value) {
    return new ConsumerRecord<>("lmp.api-keys", 0, offset, ApiKeys.hash(SECRET), Json.write(value));
  }

  HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(int port) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/posts"))
            .header("Authorization", "Bearer " + SECRET)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The API-key follower's thread ended on a {@code TopicAuthorizationException} (an ACL change):
   * revocations stopped applying while {@code /readyz} stayed green. Now {@code /readyz} is {@code
   * 503} naming the reader while it is down, and once restarted it applies the revocation it had
   * missed and the gateway is ready again.
   */
  @Test
  void keyFollowerThatFailsIsRestartedAndReadyzNamesItWhileItIsDown() throws Exception {
    MockConsumer<String, byte[]> first = MockReaders.consumer("lmp.api-keys", 1);
    first.schedulePollTask(() -> first.addRecord(keyRecord(0, ApiKeyRecord.active("key_a", T0))));
    MockConsumer<String, byte[]> second = MockReaders.consumer("lmp.api-keys", 1);
    second.schedulePollTask(
        () -> second.addRecord(keyRecord(1, ApiKeyRecord.active("key_a", T0).revoked(T0))));
    LinkedBlockingQueue<MockConsumer<String, byte[]>> consumers =
        new LinkedBlockingQueue<>(List.of(first, second));
    MockReaders.GatedSleeper sleeper = new MockReaders.GatedSleeper();
    ApiKeyRegistry registry = new ApiKeyRegistry();
    FakeLedger ledger = new FakeLedger();
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    try (ApiKeyFollower follower =
            new ApiKeyFollower(
                new TopicFollower(
                    "follow-lmp.api-keys",
                    "lmp.api-keys",
                    TopicFollower.From.BEGINNING,
                    consumers::poll,
                    Backoff.DEFAULT,
                    sleeper,
                    r -> registry.apply(r.key(), r.value())));
        Gateway gateway =
            new Gateway(
                    GatewayConfig.defaults(), Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
                .start("127.0.0.1", 0)) {
      gateway.attach(new Gateway.Backend(registry, follower::caughtUp, ledger, ledger));
      gateway.watch(follower::problem);
      int port = gateway.port();
      await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/readyz").statusCode() == 200);
      assertThat(post(port).statusCode()).isEqualTo(201);

      first.setPollException(new TopicAuthorizationException(Set.of("lmp.api-keys")));
      await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/readyz").statusCode() == 503);
      HttpResponse<String> down = get(port, "/readyz");
      assertThat(down.body())
          .startsWith(
              "{\"status\":\"not_ready\",\"reason\":\"reader follow-lmp.api-keys is down,"
                  + " restarting: org.apache.kafka.common.errors.TopicAuthorizationException");

      sleeper.release();
      await().atMost(Duration.ofSeconds(10)).until(() -> get(port, "/readyz").statusCode() == 200);
      assertThat(post(port).statusCode()).isEqualTo(401);
    }
  }

  /**
   * The gateway's results consumer ended on a {@code SaslAuthenticationException} (a credential
   * rotation) and every later {@code POST} waited out its timeout as {@code 202}. Now it is
   * restarted at the position it had read, so an answer written while it was down still reaches its
   * waiter, and {@link KafkaLedgerClient#problem()} names it in between.
   */
  @Test
  void resultsConsumerThatFailsIsRestartedAndStillDeliversTheAnswerWrittenMeanwhile()
      throws Exception {
    Topics topics = new Topics("lmp.");
    String results = topics.results().name();
    MockConsumer<String, byte[]> first = MockReaders.consumer(results, 3);
    MockConsumer<String, byte[]> second = MockReaders.consumer(results, 3);
    second.schedulePollTask(() -> second.addRecord(answerRecord(results, 3, "req_waiting")));
    LinkedBlockingQueue<MockConsumer<String, byte[]>> consumers =
        new LinkedBlockingQueue<>(List.of(first, second));
    MockReaders.GatedSleeper sleeper = new MockReaders.GatedSleeper();
    MockProducer<byte[], byte[]> producer =
        new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

    try (KafkaLedgerClient client =
        new KafkaLedgerClient(topics, producer, consumers::poll, Backoff.DEFAULT, sleeper)) {
      assertThat(first.position(new TopicPartition(results, 0))).isEqualTo(3);
      CompletableFuture<Answer> waiting =
          client.submit(
              new Command(
                  "key_a", "K", "req_waiting", Request.post(BODY.getBytes(StandardCharsets.UTF_8))),
              Duration.ofMinutes(1));
      first.setPollException(new SaslAuthenticationException("credentials rotated"));
      await().atMost(Duration.ofSeconds(10)).until(() -> client.problem().isPresent());
      assertThat(client.problem().get())
          .startsWith("reader gateway-results is down, restarting: ")
          .contains("SaslAuthenticationException: credentials rotated");
      assertThat(waiting).isNotDone();

      sleeper.release();
      assertThat(waiting.get(10, TimeUnit.SECONDS).status()).isEqualTo(201);
      await().atMost(Duration.ofSeconds(10)).until(() -> client.problem().isEmpty());
    }
  }

  static ConsumerRecord<String, byte[]> answerRecord(String topic, long offset, String requestId) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(LmpHeaders.STATUS, "201".getBytes(StandardCharsets.UTF_8));
    return new ConsumerRecord<>(
        topic,
        0,
        offset,
        0L,
        TimestampType.CREATE_TIME,
        0,
        0,
        requestId,
        ENVELOPE.getBytes(StandardCharsets.UTF_8),
        headers,
        Optional.empty());
  }
}

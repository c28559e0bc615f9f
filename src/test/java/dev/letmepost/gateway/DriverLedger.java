package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.client.Answer;
import dev.letmepost.client.Command;
import dev.letmepost.client.Request;
import dev.letmepost.http.ApiSpec;
import dev.letmepost.ledger.DryRun;
import dev.letmepost.ledger.LedgerApp;
import dev.letmepost.ledger.LedgerConfig;
import dev.letmepost.ledger.LedgerTopology;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
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

/**
 * The real ledger topology on a {@link TopologyTestDriver}, for gateway tests that hold the dry run
 * to what the ledger itself decides: accounts piped to its accounts topic, its {@link DryRun} over
 * the global accounts store (set on a {@link FakeLedger}), a post sent as the gateway sends it, and
 * everything the ledger wrote.
 */
final class DriverLedger implements AutoCloseable {
  private final Topics topics = Topics.defaults();
  private final LedgerConfig config = LedgerConfig.defaults(topics);
  private final Instant start;
  private final Path stateDir;
  private final TopologyTestDriver driver;
  private final TestInputTopic<byte[], byte[]> commands;
  private final TestInputTopic<String, Account> accounts;
  private final TestOutputTopic<String, byte[]> results;
  private final TestOutputTopic<String, byte[]> events;
  private final List<TestOutputTopic<String, byte[]>> tasks = new ArrayList<>();

  DriverLedger(Instant start) {
    this.start = start;
    try {
      stateDir = Files.createTempDirectory("gateway-ttd");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    driver =
        new TopologyTestDriver(
            LedgerTopology.topology(config),
            LedgerApp.streamsProperties(
                config, ClientSettings.of("unused:9092"), stateDir, Map.of()),
            start);
    commands =
        driver.createInputTopic(
            topics.commands().name(),
            Serdes.ByteArray().serializer(),
            Serdes.ByteArray().serializer());
    accounts =
        driver.createInputTopic(
            topics.accounts().name(),
            Serdes.String().serializer(),
            topics.accounts().valueSerde().serializer());
    results = output(topics.results().name());
    events = output(topics.events().name());
    for (Platform p : Platform.values()) {
      tasks.add(output(topics.publish(p).name()));
    }
  }

  private TestOutputTopic<String, byte[]> output(String topic) {
    return driver.createOutputTopic(
        topic, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
  }

  /** Pipes {@code account} to the accounts topic, at the driver's start. */
  DriverLedger account(Account account) {
    accounts.pipeInput(account.accountId(), account, start);
    return this;
  }

  /** The ledger's dry run over this driver's accounts, as a running instance's gateway reads it. */
  DryRun dryRun() {
    return new DryRun(() -> driver.getKeyValueStore(LedgerTopology.ACCOUNTS_STORE), config);
  }

  /**
   * Sends {@code body} as a {@code POST /v1/posts} of {@code principal} under {@code key} (none
   * when null) at {@code at}, keyed as the gateway keys it, and returns the envelope of the batch
   * the ledger started for it (its {@code batch.accepted} event's); reads every answer, event and
   * task it wrote.
   */
  JsonNode post(String principal, String key, String body, Instant at) {
    send(principal, key, body, at);
    List<TestRecord<String, byte[]>> accepted = events.readRecordsToList();
    assertThat(accepted).as("events of a batch started").isNotEmpty();
    tasks.forEach(TestOutputTopic::readRecordsToList);
    results.readRecordsToList();
    return ApiSpec.tree(accepted.get(0).value()).at("/data/batch");
  }

  /**
   * Sends {@code body} as {@link #post} does, for a body the ledger refuses without a batch, and
   * returns the one answer it wrote.
   */
  Answer refused(String principal, String key, String body, Instant at) {
    send(principal, key, body, at);
    assertThat(events.isEmpty()).as("no batch started").isTrue();
    return answer();
  }

  private void send(String principal, String key, String body, Instant at) {
    Command c =
        Command.of(
            principal,
            key,
            new Request(
                LmpHeaders.DEFAULT_METHOD,
                LmpHeaders.DEFAULT_PATH,
                body.getBytes(StandardCharsets.UTF_8)));
    ProducerRecord<byte[], byte[]> r = c.toRecord(topics.commands().name());
    commands.pipeInput(new TestRecord<>(r.key(), r.value(), r.headers(), at));
  }

  /** The one answer the ledger wrote since the last read. */
  private Answer answer() {
    List<TestRecord<String, byte[]>> written = results.readRecordsToList();
    assertThat(written).as("answers written").hasSize(1);
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

  /** Whether the ledger wrote nothing at all: no answer, event or task. */
  boolean wroteNothing() {
    return results.isEmpty()
        && events.isEmpty()
        && tasks.stream().allMatch(TestOutputTopic::isEmpty);
  }

  @Override
  public void close() {
    driver.close();
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

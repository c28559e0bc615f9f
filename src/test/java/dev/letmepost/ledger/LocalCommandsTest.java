package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static dev.letmepost.ledger.LedgerHarness.header;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Hashing;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A post command read in the partition of its fingerprint (its producer keyed it by the
 * fingerprint, as the gateway does) is decided in that task without the by-fingerprint repartition;
 * any other goes through it; both are answered alike. On the TopologyTestDriver every input is
 * partition 0 of its topic, so a key whose fingerprint is in partition 0 of {@code --partitions} is
 * local and one in another partition is not.
 */
class LocalCommandsTest {
  LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger = new LedgerHarness().account("acc_tw", "twitter");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  /** The first key {@code prefix<i>} whose fingerprint is, or is not, in partition 0. */
  private String key(String prefix, boolean inPartitionZero) {
    for (int i = 0; ; i++) {
      String key = prefix + i;
      String fingerprint =
          Hashing.fingerprint(PRINCIPAL, LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, key);
      if ((ActionKeys.partition(fingerprint, ledger.config.partitions()) == 0) == inPartitionZero) {
        return key;
      }
    }
  }

  private Set<String> repartitionsWritten() {
    return ledger.driver.producedTopicNames().stream()
        .filter(t -> t.endsWith("-repartition"))
        .collect(Collectors.toSet());
  }

  /** Sends a one-target post under {@code key}, publishes it, and returns the answer. */
  private TestRecord<String, byte[]> post(String key, String requestId) {
    ledger.command(body("acc_tw")).key(key).request(requestId).at(T0).send();
    List<PublishTask> tasks = ledger.tasks(Platform.TWITTER);
    assertThat(tasks).hasSize(1);
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    return ledger.onlyResult();
  }

  @Test
  void aCommandInItsFingerprintsPartitionSkipsTheRepartitionAndIsAnsweredAsAnyOther() {
    TestRecord<String, byte[]> local = post(key("local-", true), "req-local");
    assertThat(repartitionsWritten())
        .as("a local command is decided here; a new batch still sends its directory entry")
        .noneMatch(t -> t.endsWith("by-fingerprint-repartition"));

    TestRecord<String, byte[]> remote = post(key("remote-", false), "req-remote");
    assertThat(repartitionsWritten()).anyMatch(t -> t.endsWith("by-fingerprint-repartition"));

    for (TestRecord<String, byte[]> answer : List.of(local, remote)) {
      assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("201");
      assertThat(header(answer, LmpHeaders.REPLAYED)).isEqualTo("false");
    }
  }
}

package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.body;
import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.PublishTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ledger's early commits ({@link CommitPacer}) on a TopologyTestDriver: a new batch's fan-out
 * and an answer each ask Kafka Streams to commit at once, at most once per commit gap of wall-clock
 * time; lifecycle events alone do not, nor does a record out of a backlog.
 */
class CommitPacerTest {
  private static final Duration GAP = Duration.ofMillis(20);

  /** The wall-clock times (ms) at which the ledger asked to commit. */
  private final List<Long> requests = new ArrayList<>();

  private LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness(
                c -> c.with(v -> v.commitGap = GAP),
                context -> {
                  requests.add(context.currentSystemTimeMs());
                  context.commit();
                })
            .account("acc_tw", "twitter")
            .account("acc_li", "linkedin");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  private long wall() {
    return ledger.wallClock().toEpochMilli();
  }

  @Test
  void aNewBatchAsksToCommitOnceItsTasksAreSentAndItsAnswerAgain() {
    ledger.command(body("acc_tw", "acc_li")).key("K1").request("req-1").at(T0).send();
    List<PublishTask> tasks = ledger.allTasks();
    assertThat(tasks).hasSize(2);
    assertThat(requests).as("one request for the fan-out").containsExactly(wall());

    ledger.advanceWallClock(GAP);
    ledger.publishedOutcome(tasks.get(0), T0.plusSeconds(1));
    assertThat(ledger.events()).isNotEmpty();
    assertThat(requests).as("an outcome that leaves a target open sends no answer").hasSize(1);

    ledger.publishedOutcome(tasks.get(1), T0.plusSeconds(2));
    assertThat(ledger.results()).hasSize(1);
    assertThat(requests).as("and one for the answer").hasSize(2).last().isEqualTo(wall());
  }

  @Test
  void aStreamThreadAsksAtMostOncePerGap() {
    ledger.command(body("acc_tw")).key("K1").request("req-1").send();
    ledger.command(body("acc_li")).key("K2").request("req-2").send();
    ledger.command(body("acc_tw")).key("K1").request("req-3").send();
    assertThat(ledger.allTasks()).hasSize(2);
    assertThat(requests).as("two fan-outs and a waiter, at one wall-clock time").hasSize(1);

    ledger.advanceWallClock(GAP.minusMillis(1));
    ledger.command(body("acc_li")).key("K3").request("req-4").send();
    assertThat(requests).as("a fan-out less than the gap later").hasSize(1);

    ledger.advanceWallClock(Duration.ofMillis(1));
    ledger.command(body("acc_tw")).key("K4").request("req-5").send();
    assertThat(requests).as("a fan-out the gap later").hasSize(2).last().isEqualTo(wall());
  }

  @Test
  void aRecordOutOfABacklogDoesNotAskToCommit() {
    ledger.advanceWallClock(CommitPacer.FRESH.plusMillis(1));
    ledger.command(body("acc_tw", "acc_li")).key("K1").request("req-1").at(T0).send();
    assertThat(ledger.allTasks()).hasSize(2);
    assertThat(requests).as("a command decided more than FRESH after its broker time").isEmpty();

    ledger.command(body("acc_tw")).key("K2").request("req-2").at(ledger.wallClock()).send();
    assertThat(requests).as("a fresh one").containsExactly(wall());
  }
}

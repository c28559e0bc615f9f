package dev.letmepost.it;

import dev.letmepost.cli.PostClient;
import dev.letmepost.cli.Services;
import dev.letmepost.platform.sandbox.Faults;
import dev.letmepost.testing.ChildLmp;
import dev.letmepost.testing.TestBroker;
import dev.letmepost.testing.Workload;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger is killed with SIGKILL right after a burst of commands and retries (its first answers
 * seen, the rest in flight), then restarted on the same state directory: exactly_once_v2 aborts the
 * open transaction and restores the stores, so nothing is published twice (the sandbox's
 * posts.jsonl and the publish topics say so) and every request, retries included, is answered
 * exactly once.
 */
class LedgerRestartIT {
  private static final int PARTITIONS = 3;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void killingTheLedgerMidStreamPublishesNothingTwice(@TempDir Path dir) throws Exception {
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
                "it");
        PostClient client = new PostClient(ClientSettings.of(bootstrap), topics)) {
      Workload work = new Workload(client, 7);
      ChildLmp ledger = ChildLmp.ledger(bootstrap, prefix, PARTITIONS, dir.resolve("ledger"));
      try {
        ledger.awaitRunning(Duration.ofSeconds(90));
        work.sendNew(60);
        work.sendRetries(30);
        work.awaitFirstAnswer(Duration.ofSeconds(60));
        work.sendNew(60);
        work.sendRetries(30);
        ledger.kill();
        work.sendNew(30);
        work.sendRetries(30);
        ledger = ChildLmp.ledger(bootstrap, prefix, PARTITIONS, dir.resolve("ledger"));
        ledger.awaitRunning(Duration.ofSeconds(90));
        work.sendNew(20);
        work.sendRetries(40);

        var answers = work.awaitAnswers(Duration.ofSeconds(90));
        work.assertNothingTwiceAndEveryRequestAnsweredOnce(
            bootstrap, topics, answers, dir.resolve("sandbox"));
      } finally {
        ledger.close();
      }
    }
  }
}

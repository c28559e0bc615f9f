package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.header;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Targets whose platform cannot take the content (media, first comment) fail {@code
 * unsupported_content} in the ledger, before fan-out: no task is emitted for them.
 */
class LedgerCapabilitiesTest {
  private static final String TWO_MEDIA =
      "\"media\":[{\"url\":\"https://e.com/1.png\"},{\"url\":\"https://e.com/2.png\"}]";

  LedgerHarness ledger;

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness()
            .account("acc_tw", "twitter")
            .account("acc_tg", "telegram")
            .account("acc_dc", "discord")
            .account("acc_sb", "sandbox");
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  private static String targets(String... accountIds) {
    StringBuilder b = new StringBuilder("\"targets\":[");
    for (int i = 0; i < accountIds.length; i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"").append(accountIds[i]).append("\"}");
    }
    return b.append(']').toString();
  }

  @Test
  void mediaThePlatformCannotTakeFailsTheTargetBeforeFanOut() {
    ledger
        .command(
            "{" + targets("acc_tw", "acc_tg", "acc_dc") + ",\"text\":\"hi\"," + TWO_MEDIA + "}")
        .key("K1")
        .request("req-1")
        .send();

    assertThat(ledger.tasks(Platform.TWITTER)).as("x takes no media by URL").isEmpty();
    assertThat(ledger.tasks(Platform.TELEGRAM)).as("telegram takes one photo").isEmpty();
    List<PublishTask> discord = ledger.tasks(Platform.DISCORD);
    assertThat(discord).hasSize(1);
    assertThat(discord.get(0).media()).hasSize(2);
    ledger.assertNothingElseEmitted();

    ledger.publishedOutcome(discord.get(0), T0.plusSeconds(1));
    JsonNode results = json(ledger.onlyResult().value()).get("results");
    assertThat(results.get(0).toString())
        .isEqualTo(
            "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"status\":\"failed\",\"error\":{\"code\":\"unsupported_content\","
                + "\"message\":\"targets[0] has 2 media URL(s); the x connector posts text only"
                + " (media needs the upload endpoint first)\",\"retryable\":false}}");
    assertThat(results.get(1).at("/error/code").asText()).isEqualTo("unsupported_content");
    assertThat(results.get(1).at("/error/message").asText())
        .isEqualTo(
            "targets[1] has 2 media URL(s); the Telegram connector sends at most one photo (no"
                + " albums)");
    assertThat(results.get(2).get("status").asText()).isEqualTo("published");
  }

  @Test
  void firstCommentThePlatformCannotPostFailsTheTargetBeforeFanOut() {
    ledger
        .command(
            "{" + targets("acc_dc", "acc_sb") + ",\"text\":\"hi\",\"firstComment\":\"more below\"}")
        .key("K1")
        .request("req-1")
        .send();

    assertThat(ledger.tasks(Platform.DISCORD)).isEmpty();
    List<PublishTask> sandbox = ledger.tasks(Platform.SANDBOX);
    assertThat(sandbox).hasSize(1);
    assertThat(sandbox.get(0).firstComment()).isEqualTo("more below");
    ledger.assertNothingElseEmitted();

    ledger.publishedOutcome(sandbox.get(0), T0.plusSeconds(1));
    JsonNode results = json(ledger.onlyResult().value()).get("results");
    assertThat(results.get(0).at("/error/code").asText()).isEqualTo("unsupported_content");
    assertThat(results.get(0).at("/error/message").asText())
        .isEqualTo(
            "targets[0] has a firstComment; a Discord webhook cannot post a reply to its own"
                + " message");
    assertThat(results.get(0).at("/error/retryable").asBoolean()).isFalse();
    assertThat(results.get(1).get("status").asText()).isEqualTo("published");
  }

  @Test
  void everyTargetRefusedOnCapabilitiesAnswersAtOnceWithoutTasks() {
    ledger
        .command("{" + targets("acc_tw", "acc_tg") + ",\"text\":\"hi\"," + TWO_MEDIA + "}")
        .key("K1")
        .request("req-1")
        .send();

    var answer = ledger.onlyResult();
    assertThat(header(answer, LmpHeaders.STATUS)).isEqualTo("207");
    JsonNode body = json(answer.value());
    assertThat(body.get("status").asText()).isEqualTo("failed");
    assertThat(body.get("results"))
        .extracting(r -> r.at("/error/code").asText())
        .containsExactly("unsupported_content", "unsupported_content");
    ledger.assertNothingElseEmitted();
    assertThat(ledger.timers()).isEmpty();
  }

  @Test
  void aBlankFirstCommentCountsAsNone() {
    ledger
        .command("{" + targets("acc_tw") + ",\"text\":\"hi\",\"firstComment\":\" \"}")
        .key("K1")
        .request("req-1")
        .send();

    assertThat(ledger.tasks(Platform.TWITTER)).hasSize(1);
    ledger.assertNothingElseEmitted();
  }
}

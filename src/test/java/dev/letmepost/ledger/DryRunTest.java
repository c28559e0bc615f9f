package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static dev.letmepost.ledger.LedgerHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Account;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The dry run ({@link DryRun}) against the ledger itself on a TopologyTestDriver: a body the ledger
 * refuses gets the ledger's error bytes, another principal's accounts read exactly as missing ones,
 * and a dry run writes to no store and emits nothing. That each target's verdict is the ledger's
 * own resolution of it, code and message, is held over HTTP by {@code gateway/GatewayValidateTest},
 * against this topology's answer to the same body posted.
 */
class DryRunTest {
  private static final String BOB = "key_bob";

  private LedgerHarness ledger;
  private DryRun dryRun;

  @BeforeEach
  void setUp() {
    ledger =
        new LedgerHarness()
            .account("acc_tw", "twitter")
            .account("acc_dc", "discord")
            .account(account("acc_off", PRINCIPAL, "bluesky", Account.Status.disconnected, false))
            .account(account("acc_bob", BOB, "twitter", Account.Status.connected, false))
            .account(account("acc_bob_off", BOB, "bluesky", Account.Status.disconnected, false))
            .account(account("acc_bob_li", BOB, "linkedin", Account.Status.connected, true));
    dryRun = ledger.dryRun();
  }

  @AfterEach
  void tearDown() {
    ledger.close();
  }

  private static Account account(
      String id, String principal, String platform, Account.Status status, boolean isDefault) {
    return new Account(id, principal, platform, "@" + id, status, null, isDefault);
  }

  private static String body(String targets, String rest) {
    return "{\"targets\":[" + targets + "]," + rest + "}";
  }

  private static String ids(String... accountIds) {
    List<String> out = new ArrayList<>();
    for (String id : accountIds) {
      out.add("{\"accountId\":\"" + id + "\"}");
    }
    return String.join(",", out);
  }

  private DryRun.Verdict validate(String principal, String body) {
    return dryRun.validate(principal, body.getBytes(StandardCharsets.UTF_8), T0);
  }

  @Test
  void validBodyIsValidForEveryTargetAndWritesNothing() {
    DryRun.Verdict v = validate(PRINCIPAL, body(ids("acc_tw", "acc_dc"), "\"text\":\"shipped\""));

    assertThat(v.status()).isEqualTo(200);
    assertThat(v.body().toUtf8String())
        .isEqualTo(
            "{\"object\":\"validation\",\"valid\":true,\"results\":["
                + "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"valid\":true},"
                + "{\"accountId\":\"acc_dc\",\"platform\":\"discord\",\"valid\":true}]}");
    ledger.assertNothingElseEmitted();
    ledger.assertNoEvents();
    assertThat(ledger.replayRecords()).isEmpty();
    assertThat(ledger.requestEntries()).isEmpty();
    assertThat(ledger.timers()).isEmpty();
  }

  @Test
  void anotherPrincipalsAccountsReadExactlyAsMissingOnes() {
    JsonNode bobs =
        json(validate(PRINCIPAL, body(ids("acc_bob", "acc_bob_off"), "\"text\":\"hi\"")).body());
    JsonNode missing =
        json(validate(PRINCIPAL, body(ids("acc_xyz", "acc_xyz_xyz"), "\"text\":\"hi\"")).body());

    assertThat(bobs.toString().replace("acc_bob_off", "ID2").replace("acc_bob", "ID1"))
        .as("neither the platform nor the disconnected state of another principal's account shows")
        .isEqualTo(missing.toString().replace("acc_xyz_xyz", "ID2").replace("acc_xyz", "ID1"));
    assertThat(bobs.at("/results/1/error/code").asText()).isEqualTo("account_not_found");
    assertThat(bobs.at("/results/1").has("platform")).isFalse();
    JsonNode own = json(validate(PRINCIPAL, body(ids("acc_off"), "\"text\":\"hi\"")).body());
    assertThat(own.at("/results/0/error/code").asText())
        .as("the caller's own disconnected account")
        .isEqualTo("account_disconnected");

    JsonNode linkedin =
        json(validate(PRINCIPAL, body("{\"platform\":\"linkedin\"}", "\"text\":\"hi\"")).body());
    assertThat(linkedin.at("/results/0/error/code").asText())
        .as("bob's default linkedin account is not alice's")
        .isEqualTo("no_default_account");
    assertThat(linkedin.at("/results/0").has("accountId")).isFalse();
    JsonNode asBob =
        json(validate(BOB, body("{\"platform\":\"linkedin\"}", "\"text\":\"hi\"")).body());
    assertThat(asBob.at("/results/0/accountId").asText()).isEqualTo("acc_bob_li");
  }

  @Test
  void bodyTheLedgerRefusesGetsTheLedgersErrorBytes() {
    String bad = "{\"targets\":[],\"text\":\"x\",\"colour\":1}";
    DryRun.Verdict v = validate(PRINCIPAL, bad);
    ledger.command(bad).key("K1").request("req-1").send();

    assertThat(v.status()).isEqualTo(400);
    assertThat(v.body().toByteArray()).isEqualTo(ledger.onlyResult().value());
    assertThat(json(v.body()).at("/error/code").asText()).isEqualTo("preflight_failed");
  }

  @Test
  void scheduleBeyondTheReplayRecordIsTheLedgersScheduleTooFar() {
    String far =
        body(
            ids("acc_tw"),
            "\"text\":\"x\",\"scheduledAt\":\"" + T0.plus(Duration.ofHours(24)) + "\"");
    DryRun.Verdict v = validate(PRINCIPAL, far);
    ledger.command(far).key("K1").request("req-1").send();

    assertThat(v.status()).isEqualTo(400);
    assertThat(v.body().toByteArray()).isEqualTo(ledger.onlyResult().value());
    assertThat(json(v.body()).at("/error/errors/0/code").asText()).isEqualTo("schedule_too_far");
    String near =
        body(
            ids("acc_tw"),
            "\"text\":\"x\",\"scheduledAt\":\"" + T0.plus(Duration.ofHours(1)) + "\"");
    assertThat(validate(PRINCIPAL, near).status()).isEqualTo(200);
  }

  @Test
  void emptyAndOversizeBodiesAreThePreflightsErrors() {
    DryRun.Verdict empty = dryRun.validate(PRINCIPAL, new byte[0], T0);
    assertThat(json(empty.body()).at("/error/errors/0/code").asText()).isEqualTo("empty_body");
    DryRun.Verdict big = dryRun.validate(PRINCIPAL, new byte[600 * 1024], T0);
    assertThat(big.status()).isEqualTo(400);
    assertThat(json(big.body()).at("/error/errors/0/code").asText()).isEqualTo("body_too_large");
    ledger.assertNothingElseEmitted();
  }
}

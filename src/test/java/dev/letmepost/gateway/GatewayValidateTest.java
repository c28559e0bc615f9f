package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.ALICE_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static dev.letmepost.gateway.GatewayHttpTest.UNAUTHORIZED;
import static dev.letmepost.gateway.GatewayHttpTest.header;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.client.Answer;
import dev.letmepost.http.ApiSpec;
import dev.letmepost.wire.Account;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/posts/validate} over real HTTP: the gateway's checks of {@code POST /v1/posts},
 * then the verdict of the real ledger's dry run ({@link DriverLedger}), held to what that ledger
 * records when the same body is posted for real; and the attacks: another principal's accounts read
 * as missing ones, nothing is ever produced, recorded or replayed, and the body is bounded.
 */
class GatewayValidateTest {
  static final String PATH = "/v1/posts/validate";
  static final String CAROL_KEY = "lmp_live_carolCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";

  /** The gateway's body limit here. */
  static final int LIMIT = 2_000;

  /**
   * A body whose targets but the first the ledger would refuse for the account they resolve to
   * ({@code {"platform":"twitter"}} is alice's only twitter account, already the first target).
   */
  static final String ACCOUNT_REFUSALS =
      "{\"targets\":[{\"accountId\":\"acc_tw\"},{\"accountId\":\"acc_nope\"},"
          + "{\"accountId\":\"acc_bob\"},{\"platform\":\"linkedin\"},{\"platform\":\"twitter\"},"
          + "{\"accountId\":\"acc_off\"}],\"text\":\"shipped\"}";

  /** A body whose targets the ledger would refuse for its text and media. */
  static final String CONTENT_REFUSALS =
      "{\"targets\":[{\"accountId\":\"acc_tw\"},{\"accountId\":\"acc_tg\"},"
          + "{\"accountId\":\"acc_dc\"}],\"text\":\""
          + "a".repeat(290)
          + "\",\"media\":[{\"url\":\"https://e.com/1.png\"},{\"url\":\"https://e.com/2.png\"}]}";

  static final String VALID =
      "{\"targets\":[{\"accountId\":\"acc_tw\"},{\"accountId\":\"acc_dc\"}],\"text\":\"shipped\"}";

  final HttpClient client = HttpClient.newHttpClient();
  final FakeLedger ledger = new FakeLedger();
  DriverLedger driver;
  Gateway gateway;
  URI base;

  @BeforeEach
  void setUp() {
    driver =
        new DriverLedger(T0)
            .account(account("acc_tw", "key_alice", "twitter", Account.Status.connected, false))
            .account(account("acc_dc", "key_alice", "discord", Account.Status.connected, false))
            .account(account("acc_tg", "key_alice", "telegram", Account.Status.connected, false))
            .account(account("acc_off", "key_alice", "bluesky", Account.Status.disconnected, false))
            .account(account("acc_bob", "key_bob", "twitter", Account.Status.connected, false))
            .account(
                account("acc_bob_off", "key_bob", "bluesky", Account.Status.disconnected, false))
            .account(account("acc_bob_li", "key_bob", "linkedin", Account.Status.connected, true));
    ledger.dryRun = driver.dryRun();
    ApiKeyRegistry keys = GatewayHttpTest.registry();
    keys.put(
        ApiKeys.hash(CAROL_KEY), ApiKeyRecord.active("key_alice", T0).requiringIdempotencyKey());
    gateway =
        new Gateway(
                GatewayConfig.defaults()
                    .withMaxBodyBytes(LIMIT)
                    .withAnswerTimeout(Duration.ofMillis(300)),
                Clock.fixed(T0, ZoneOffset.UTC),
                new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateway.attach(new Gateway.Backend(keys, () -> true, ledger, ledger));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  @AfterEach
  void tearDown() {
    gateway.close();
    driver.close();
  }

  private static Account account(
      String id, String principal, String platform, Account.Status status, boolean isDefault) {
    return new Account(id, principal, platform, "@" + id, status, null, isDefault);
  }

  /**
   * Sends {@code POST path} with {@code body}: each of {@code apiKey} and {@code key} left out when
   * null, and {@code headers} (name, value, ...) added.
   */
  HttpResponse<String> send(
      String path, String apiKey, String key, HttpRequest.BodyPublisher body, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(body);
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    if (key != null) {
      b.header("Idempotency-Key", key);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> validate(String apiKey, String key, String body) throws Exception {
    return send(PATH, apiKey, key, HttpRequest.BodyPublishers.ofString(body));
  }

  /** Asserts that the gateway produced, looked up and the ledger wrote nothing. */
  void assertNothingProducedOrLookedUp() {
    assertThat(ledger.submitted).as("no command produced").isEmpty();
    assertThat(ledger.lookups).as("no look-up in the ledger's local stores").isEmpty();
    assertThat(driver.wroteNothing()).as("the ledger wrote nothing").isTrue();
  }

  /** Asserts that the answer carries none of the headers of a recorded request. */
  static void assertNoRequestHeaders(HttpResponse<String> r) {
    for (String h :
        List.of(
            "Idempotency-Key",
            "Idempotent-Replayed",
            "Idempotency-Key-Expires",
            "Lmp-Request-Id",
            "Lmp-Batch-Id",
            "Location")) {
      assertThat(header(r, h)).as(h).isNull();
    }
  }

  /** Asserts that each target's verdict is what the ledger recorded for it in {@code envelope}. */
  static void assertSameResolution(JsonNode verdict, JsonNode envelope) {
    JsonNode results = verdict.get("results");
    JsonNode recorded = envelope.get("results");
    assertThat(results).hasSameSizeAs(recorded);
    for (int i = 0; i < results.size(); i++) {
      JsonNode mine = results.get(i);
      JsonNode theirs = recorded.get(i);
      assertThat(mine.path("accountId"))
          .as("[%d].accountId", i)
          .isEqualTo(theirs.path("accountId"));
      assertThat(mine.path("platform")).as("[%d].platform", i).isEqualTo(theirs.path("platform"));
      assertThat(mine.path("error")).as("[%d].error", i).isEqualTo(theirs.path("error"));
      assertThat(mine.get("valid").asBoolean())
          .as("[%d].valid", i)
          .isEqualTo(!theirs.get("status").asText().equals("failed"));
    }
  }

  static List<String> codes(JsonNode verdict) {
    List<String> out = new ArrayList<>();
    verdict.get("results").forEach(r -> out.add(r.path("error").path("code").asText("valid")));
    return out;
  }

  @Test
  void validBodyIs200WithEveryTargetValidAndNothingIsProduced() throws Exception {
    HttpResponse<String> r = validate(ALICE_KEY, null, VALID);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "Content-Type")).startsWith("application/json");
    assertThat(r.body())
        .isEqualTo(
            "{\"object\":\"validation\",\"valid\":true,\"results\":["
                + "{\"accountId\":\"acc_tw\",\"platform\":\"twitter\",\"valid\":true},"
                + "{\"accountId\":\"acc_dc\",\"platform\":\"discord\",\"valid\":true}]}");
    assertNoRequestHeaders(r);
    assertNothingProducedOrLookedUp();
    assertThat(ledger.validated).hasValue(1);
  }

  @Test
  void everyRefusalIsWhatTheLedgerRecordsWhenTheSameBodyIsPosted() throws Exception {
    JsonNode accounts = ApiSpec.tree(validate(ALICE_KEY, null, ACCOUNT_REFUSALS).body());
    JsonNode content = ApiSpec.tree(validate(ALICE_KEY, null, CONTENT_REFUSALS).body());
    assertNothingProducedOrLookedUp();

    assertThat(accounts.get("valid").asBoolean()).isFalse();
    assertThat(codes(accounts))
        .containsExactly(
            "valid",
            "account_not_found",
            "account_not_found",
            "no_default_account",
            "duplicate_target",
            "account_disconnected");
    assertThat(codes(content)).containsExactly("text_too_long", "unsupported_content", "valid");
    assertSameResolution(accounts, driver.post("key_alice", "K1", ACCOUNT_REFUSALS, T0));
    assertSameResolution(content, driver.post("key_alice", "K2", CONTENT_REFUSALS, T0));
  }

  /**
   * The attack: probing another principal's account ids (and platforms, for its default accounts)
   * learns nothing, not whether an id exists, nor its platform, nor whether it is connected: each
   * reads exactly as an id no one has.
   */
  @Test
  void anotherPrincipalsAccountsReadExactlyAsMissingOnes() throws Exception {
    String bobs =
        validate(
                ALICE_KEY,
                null,
                "{\"targets\":[{\"accountId\":\"acc_bob\"},{\"accountId\":\"acc_bob_off\"},"
                    + "{\"accountId\":\"acc_bob_li\"},{\"platform\":\"linkedin\"}],\"text\":\"hi\"}")
            .body();
    String missing =
        validate(
                ALICE_KEY,
                null,
                "{\"targets\":[{\"accountId\":\"acc_zzz\"},{\"accountId\":\"acc_zzz_zzz\"},"
                    + "{\"accountId\":\"acc_zzz_zz\"},{\"platform\":\"linkedin\"}],\"text\":\"hi\"}")
            .body();

    assertThat(
            bobs.replace("acc_bob_off", "ID2")
                .replace("acc_bob_li", "ID3")
                .replace("acc_bob", "ID1"))
        .isEqualTo(
            missing
                .replace("acc_zzz_zzz", "ID2")
                .replace("acc_zzz_zz", "ID3")
                .replace("acc_zzz", "ID1"));
    assertThat(bobs)
        .doesNotContain("twitter")
        .doesNotContain("bluesky")
        .doesNotContain("disconnected")
        .contains("\"code\":\"no_default_account\"");
    JsonNode asBob =
        ApiSpec.tree(
            validate(
                    GatewayHttpTest.BOB_KEY,
                    null,
                    "{\"targets\":[{\"platform\":\"linkedin\"}],\"text\":\"hi\"}")
                .body());
    assertThat(asBob.at("/results/0/accountId").asText()).isEqualTo("acc_bob_li");
    assertNothingProducedOrLookedUp();
  }

  @Test
  void badBodyGetsTheErrorAPostOfItGets() throws Exception {
    for (String bad :
        List.of(
            "{\"targets\":[],\"text\":\"x\",\"colour\":1}",
            "{not json",
            "[]",
            "{\"targets\":[{\"accountId\":\"acc_tw\"}],\"text\":\"x\",\"scheduledAt\":\""
                + T0.plus(Duration.ofDays(2))
                + "\"}")) {
      HttpResponse<String> r = validate(ALICE_KEY, null, bad);
      Answer answer = driver.refused("key_alice", "K-" + bad.length(), bad, T0);

      assertThat(r.statusCode()).as(bad).isEqualTo(answer.status()).isEqualTo(400);
      assertThat(r.body()).as(bad).isEqualTo(answer.bodyText());
      assertNoRequestHeaders(r);
    }
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void oversizeBodyIs413AsOnThePostDeclaredOrChunked() throws Exception {
    String big = "{\"text\":\"" + "a".repeat(LIMIT) + "\"}";
    HttpResponse<String> declared = validate(ALICE_KEY, null, big);
    HttpResponse<String> post =
        send("/v1/posts", ALICE_KEY, "K1", HttpRequest.BodyPublishers.ofString(big));
    HttpResponse<String> chunked = send(PATH, ALICE_KEY, null, WritePipelineTest.chunked(big));

    assertThat(declared.statusCode()).isEqualTo(413);
    assertThat(declared.body())
        .isEqualTo(post.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the request body is larger than"
                + " the limit of "
                + LIMIT
                + " bytes\"}}");
    assertThat(chunked.statusCode()).as("a chunked body, no length declared").isEqualTo(413);
    assertThat(ledger.validated).as("the ledger was not asked").hasValue(0);
    assertThat(ledger.submitted).isEmpty();
  }

  @Test
  void noApiKeyIs401AndTheLedgerIsNotAsked() throws Exception {
    HttpResponse<String> none = validate(null, null, VALID);
    HttpResponse<String> unknown = validate("lmp_live_nope", null, VALID);

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).isEqualTo(UNAUTHORIZED);
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(ledger.validated).hasValue(0);
    assertNothingProducedOrLookedUp();
  }

  @Test
  void noIdempotencyKeyIsFineEvenForAnApiKeyThatRequiresOneOnWrites() throws Exception {
    HttpResponse<String> validated = validate(CAROL_KEY, null, VALID);
    HttpResponse<String> posted =
        send("/v1/posts", CAROL_KEY, null, HttpRequest.BodyPublishers.ofString(VALID));

    assertThat(validated.statusCode()).isEqualTo(200);
    assertThat(ApiSpec.tree(validated.body()).get("valid").asBoolean()).isTrue();
    assertThat(posted.statusCode()).as("the post itself needs one").isEqualTo(400);
    assertNothingProducedOrLookedUp();
  }

  @Test
  void malformedIdempotencyKeyIs400AsOnThePostAndAWellFormedOneIsOnlyChecked() throws Exception {
    for (String bad : List.of("", "\"unterminated", "k".repeat(129))) {
      HttpResponse<String> r = validate(ALICE_KEY, bad, VALID);
      HttpResponse<String> post =
          send("/v1/posts", ALICE_KEY, bad, HttpRequest.BodyPublishers.ofString(VALID));

      assertThat(r.statusCode()).as("key %s", bad).isEqualTo(400);
      assertThat(ApiSpec.tree(r.body()).at("/error/code").asText())
          .isEqualTo("invalid_idempotency_key");
      assertThat(r.body()).isEqualTo(post.body());
      assertThat(header(r, "Link")).isEqualTo(Responses.POLICY_LINK);
    }
    HttpResponse<String> quoted = validate(ALICE_KEY, "\"8e03978e\"", VALID);
    assertThat(quoted.statusCode()).isEqualTo(200);
    assertNoRequestHeaders(quoted);
    assertThat(ledger.validated).hasValue(1);
    assertNothingProducedOrLookedUp();
  }

  /**
   * The attack: a key whose request is recorded, sent with another body (a real retry: {@code 422})
   * or the same one (a replay): the dry run neither answers with the stored replay nor looks it up,
   * and the stored record is unchanged.
   */
  @Test
  void aRecordedKeyIsNeitherReplayedNorLookedUp() throws Exception {
    JsonNode first = driver.post("key_alice", "K1", VALID, T0);
    ledger.liveByFingerprint.put(
        Gateway.fingerprint("key_alice", "K1"), GatewayHttpTest.view("key_alice", "K1", true));
    Map<String, ?> before = Map.copyOf(ledger.liveByFingerprint);

    HttpResponse<String> same = validate(ALICE_KEY, "K1", VALID);
    HttpResponse<String> other = validate(ALICE_KEY, "K1", ACCOUNT_REFUSALS);

    assertThat(first.get("object").asText()).as("the real post started a batch").isEqualTo("batch");
    assertThat(same.statusCode()).isEqualTo(200);
    assertThat(ApiSpec.tree(same.body()).get("object").asText()).isEqualTo("validation");
    assertThat(other.statusCode()).as("not 422 idempotency_conflict").isEqualTo(200);
    assertNoRequestHeaders(same);
    assertNoRequestHeaders(other);
    assertThat(ledger.liveByFingerprint).isEqualTo(before);
    assertNothingProducedOrLookedUp();
  }

  @Test
  void ledgerNotRunningIs503LedgerUnavailable() throws Exception {
    ledger.running = false;
    HttpResponse<String> r = validate(ALICE_KEY, null, VALID);

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(header(r, "Retry-After")).isEqualTo("1");
    assertThat(ApiSpec.tree(r.body()).at("/error/code").asText()).isEqualTo("ledger_unavailable");
    assertThat(ledger.validated).hasValue(0);
  }
}

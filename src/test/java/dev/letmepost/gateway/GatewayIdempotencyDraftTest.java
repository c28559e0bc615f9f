package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.BODY;
import static dev.letmepost.gateway.GatewayHttpTest.ENVELOPE;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static dev.letmepost.gateway.GatewayHttpTest.answer;
import static dev.letmepost.gateway.GatewayHttpTest.header;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.wire.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rows of docs/contract.md#conformance that the gateway answers over HTTP, one test per row,
 * against a {@link FakeLedger} (the rows the ledger decides: {@code
 * ledger.IdempotencyDraftConformanceTest}).
 */
class GatewayIdempotencyDraftTest {
  private static final String UUID = "8e03978e-40d5-43e8-bc93-6894a57f9324";
  private static final String CAROL_KEY = "lmp_live_carolCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
  private static final String POLICY_LINK = "</v1/idempotency-policy>; rel=\"describedby\"";

  final HttpClient client = HttpClient.newHttpClient();
  FakeLedger ledger;
  Gateway gateway;
  URI base;

  @BeforeEach
  void setUp() {
    ledger = new FakeLedger();
    gateway =
        new Gateway(
                GatewayConfig.defaults().withAnswerTimeout(Duration.ofSeconds(5)),
                Clock.fixed(T0, ZoneOffset.UTC),
                new GatewayMetrics())
            .start("127.0.0.1", 0);
    ApiKeyRegistry keys = GatewayHttpTest.registry();
    keys.put(
        ApiKeys.hash(CAROL_KEY), ApiKeyRecord.active("key_carol", T0).requiringIdempotencyKey());
    gateway.attach(new Gateway.Backend(keys, () -> true, ledger, ledger));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  @AfterEach
  void tearDown() {
    gateway.close();
  }

  /** Row "header syntax": the sf-string reaches the ledger as the bare key, and is echoed so. */
  @Test
  void headerSyntaxAQuotedKeyIsTheBareKey() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> quoted = send(post("\"" + UUID + "\"", BODY));
    HttpResponse<String> bare = send(post(UUID, BODY));

    assertThat(ledger.submitted)
        .extracting(FakeLedger.Submitted::idempotencyKey)
        .containsExactly(UUID, UUID);
    assertThat(header(quoted, "Idempotency-Key")).isEqualTo(UUID);
    assertThat(header(bare, "Idempotency-Key")).isEqualTo(UUID);
  }

  /** Row "malformed header": 400 naming the problem and the value, with the policy link. */
  @Test
  void malformedHeaderIs400InvalidIdempotencyKeyNamingTheValue() throws Exception {
    HttpResponse<String> r = send(post("\"a\\nb\"", BODY));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"invalid_idempotency_key\",\"message\":\"Idempotency-Key"
                + " '\\\"a\\\\nb\\\"' has a bad escape at character 2 (only \\\\\\\" and"
                + " \\\\\\\\ are escapes)\"}}");
    assertThat(header(r, "Link")).isEqualTo(POLICY_LINK);
    assertThat(ledger.submitted).isEmpty();
  }

  /**
   * Row "key missing where required": 400 idempotency_key_required for an API key that requires
   * one, nothing produced; a key that does not require one writes without.
   */
  @Test
  void keyMissingWhereRequiredIs400IdempotencyKeyRequired() throws Exception {
    ledger.answers = s -> answer(s, 201, false, "batch_1", ENVELOPE);

    HttpResponse<String> refused =
        send(post(null, BODY).setHeader("Authorization", "Bearer " + CAROL_KEY));

    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"idempotency_key_required\",\"message\":\"the API key of"
                + " principal 'key_carol' requires an Idempotency-Key on every write; send one (a"
                + " UUID)\"}}");
    assertThat(header(refused, "Link")).isEqualTo(POLICY_LINK);
    assertThat(ledger.submitted).isEmpty();

    HttpResponse<String> keyed =
        send(post(UUID, BODY).setHeader("Authorization", "Bearer " + CAROL_KEY));
    HttpResponse<String> optional = send(post(null, BODY));

    assertThat(keyed.statusCode()).isEqualTo(201);
    assertThat(optional.statusCode()).isEqualTo(201);
    assertThat(ledger.submitted)
        .extracting(FakeLedger.Submitted::principal, FakeLedger.Submitted::idempotencyKey)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("key_carol", UUID),
            org.assertj.core.groups.Tuple.tuple("key_alice", null));
  }

  /** Row "same key, other payload": the ledger's 422 passes through, with the policy link. */
  @Test
  void sameKeyOtherPayloadIs422WithThePolicyLink() throws Exception {
    String conflict = "{\"error\":{\"code\":\"idempotency_conflict\",\"message\":\"m\"}}";
    ledger.answers = s -> answer(s, 422, false, null, conflict);

    HttpResponse<String> r = send(post(UUID, BODY));

    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.body()).isEqualTo(conflict);
    assertThat(header(r, "Link")).isEqualTo(POLICY_LINK);
    assertThat(header(r, "Retry-After")).isNull();
  }

  /** Row "same key while the first runs": 409 with Retry-After and the policy link. */
  @Test
  void sameKeyWhileTheFirstRunsIs409WithRetryAfter() throws Exception {
    String busy = "{\"error\":{\"code\":\"idempotency_in_progress\",\"message\":\"m\"}}";
    ledger.answers = s -> answer(s, 409, false, null, busy);

    HttpResponse<String> r = send(post(UUID, BODY));

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(header(r, "Retry-After")).isEqualTo("5");
    assertThat(header(r, "Link")).isEqualTo(POLICY_LINK);
  }

  /** Row "error responses": a 409 about a batch's state is no idempotency error: no link. */
  @Test
  void errorResponsesOnlyIdempotencyErrorsLinkThePolicy() throws Exception {
    String state = "{\"error\":{\"code\":\"batch_not_retryable\",\"message\":\"m\"}}";
    ledger.answers = s -> answer(s, 409, false, null, state);

    HttpResponse<String> r = send(post(UUID, BODY));

    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(header(r, "Link")).isNull();
    assertThat(header(r, "Retry-After")).isNull();
    assertThat(header(r, "Content-Type")).startsWith("application/json");
  }

  /** Row "published policy" (and "expiry", "scope", "what is compared" in it): served openly. */
  @Test
  void publishedPolicyIsServedWithoutAnApiKey() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/v1/idempotency-policy")));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(header(r, "Content-Type")).startsWith("application/json");
    JsonNode policy = Json.MAPPER.readTree(r.body());
    assertThat(policy.path("specification").asText())
        .isEqualTo("draft-ietf-httpapi-idempotency-key-header-09");
    assertThat(policy.path("fingerprint"))
        .extracting(JsonNode::asText)
        .containsExactly("principal", "method", "path", "key");
    assertThat(policy.path("scope").asText()).startsWith("per principal");
    assertThat(policy.path("expiry").asText()).contains("24 h", "Idempotency-Key-Expires");
    assertThat(policy.path("compared").asText()).contains("SHA-256 of the exact request body");
  }

  private HttpRequest.Builder post(String key, String body) {
    return GatewayHttpTest.post(base, key, body);
  }

  private HttpResponse<String> send(HttpRequest.Builder b)
      throws IOException, InterruptedException {
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}

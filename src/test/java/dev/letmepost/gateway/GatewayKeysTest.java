package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** API keys: their format and hash, the registry's view of the topic, the demo key. */
class GatewayKeysTest {
  static final Instant T0 = Instant.parse("2026-11-29T12:00:00Z");

  @Test
  void generatedKeysAreLmpLiveBase62AndDistinct() {
    SecureRandom random = new SecureRandom();
    String a = ApiKeys.generate(random);
    String b = ApiKeys.generate(random);
    assertThat(a).matches("lmp_live_[0-9A-Za-z]{32}");
    assertThat(a).isNotEqualTo(b);
    assertThat(ApiKeys.requireUsable(a, "key")).isEqualTo(a);
  }

  @Test
  void hashIsSha256HexOfTheKeyAndIsRecognised() {
    assertThat(ApiKeys.hash("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(ApiKeys.isHash(ApiKeys.hash("abc"))).isTrue();
    assertThat(ApiKeys.isHash("lmp_live_x")).isFalse();
  }

  @Test
  void registryResolvesActiveKeysOnlyAndFollowsTombstonesAndRevocations() {
    ApiKeyRegistry registry = new ApiKeyRegistry();
    String key = "lmp_live_0123456789abcdefABCDEF0123456789";
    String hash = ApiKeys.hash(key);
    registry.apply(hash, Json.write(ApiKeyRecord.active("key_alice", T0)));
    assertThat(registry.principalFor(key)).contains("key_alice");

    registry.apply(hash, "{not json".getBytes(StandardCharsets.UTF_8));
    assertThat(registry.principalFor(key)).as("a malformed record keeps the old value").isPresent();

    registry.apply(hash, Json.write(ApiKeyRecord.active("key_alice", T0).revoked(T0)));
    assertThat(registry.principalFor(key)).isEmpty();
    assertThat(registry.find(hash).orElseThrow().revokedAt()).isEqualTo("2026-11-29T12:00:00Z");

    registry.apply(hash, Json.write(ApiKeyRecord.active("key_alice", T0)));
    registry.apply(hash, null);
    assertThat(registry.principalFor(key)).isEmpty();
    assertThat(registry.principalFor(hash)).as("the hash is not itself a key").isEmpty();
  }

  @Test
  void apiKeyRecordIsTheTopicsJsonAndValidatesItsFields() {
    assertThat(new String(Json.write(ApiKeyRecord.active("key_demo", T0)), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"principal\":\"key_demo\",\"status\":\"active\",\"createdAt\":\"2026-11-29T12:00:00Z\"}");
    assertThatThrownBy(() -> new ApiKeyRecord(" ", ApiKeyRecord.Status.active, "x", null))
        .hasMessage("principal must be 1-200 non-blank characters, got ' '");
    assertThatThrownBy(() -> new ApiKeyRecord("p", ApiKeyRecord.Status.active, "yesterday", null))
        .hasMessage("createdAt must be an RFC 3339 UTC time, got 'yesterday'");
  }

  @Test
  void aKeyThatRequiresAnIdempotencyKeySaysSoAndKeepsItWhenRevoked() {
    ApiKeyRecord required = ApiKeyRecord.active("key_carol", T0).requiringIdempotencyKey();
    assertThat(new String(Json.write(required), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"principal\":\"key_carol\",\"status\":\"active\",\"createdAt\":\"2026-11-29T12:00:00Z\","
                + "\"idempotencyKeyRequired\":true}");
    assertThat(Json.read(Json.write(required), ApiKeyRecord.class).requiresIdempotencyKey())
        .isTrue();
    assertThat(required.revoked(T0).requiresIdempotencyKey()).isTrue();
    assertThat(
            Json.read(Json.write(ApiKeyRecord.active("key_alice", T0)), ApiKeyRecord.class)
                .requiresIdempotencyKey())
        .as("a record written before the flag")
        .isFalse();
  }

  @Test
  void demoKeyIsTheEnvironmentsValueWhenSetAndNeverEchoesABadOne() {
    SecureRandom random = new SecureRandom();
    assertThat(DemoKey.choose("lmp_live_fixedDemoKeyForScripts0000", random))
        .isEqualTo("lmp_live_fixedDemoKeyForScripts0000");
    assertThat(DemoKey.choose(null, random)).startsWith("lmp_live_");
    assertThat(DemoKey.choose("", random)).startsWith("lmp_live_");
    assertThatThrownBy(() -> DemoKey.choose("short secret", random))
        .hasMessage(
            "LMP_DEMO_API_KEY must be 16-256 characters of A-Z a-z 0-9 - . _ ~ + / (got 12 characters)");
  }

  /**
   * A revoked key authenticated for a moment after a gateway restart: the key topic is read from
   * its beginning, so the key's {@code active} record is applied before its revocation further on
   * (compaction had not removed it yet), and the gateway answered with the registry as loaded so
   * far. While the topic is not read up to its end as of start-up, no key is answered: {@code 503}
   * and nothing produced; once caught up, the revoked key is {@code 401}.
   */
  @Test
  void revokedKeyIsRefusedWhileTheKeysAreStillLoading() throws Exception {
    String secret = "lmp_live_revokedButNotYetReadRRRRRRRRRR";
    ApiKeyRegistry registry = new ApiKeyRegistry();
    registry.apply(ApiKeys.hash(secret), Json.write(ApiKeyRecord.active("key_alice", T0)));
    AtomicBoolean caughtUp = new AtomicBoolean(false);
    FakeLedger ledger = new FakeLedger();
    try (Gateway gateway =
        new Gateway(GatewayConfig.defaults(), Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0)) {
      gateway.attach(new Gateway.Backend(registry, caughtUp::get, ledger, ledger));
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest post =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/posts"))
              .header("Authorization", "Bearer " + secret)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(GatewayHttpTest.BODY))
              .build();

      HttpResponse<String> loading = client.send(post, HttpResponse.BodyHandlers.ofString());
      registry.apply(
          ApiKeys.hash(secret), Json.write(ApiKeyRecord.active("key_alice", T0).revoked(T0)));
      caughtUp.set(true);
      HttpResponse<String> loaded = client.send(post, HttpResponse.BodyHandlers.ofString());

      assertThat(loading.statusCode()).isEqualTo(503);
      assertThat(loading.headers().firstValue("Retry-After")).contains("1");
      assertThat(loading.body()).contains("the API keys are still loading");
      assertThat(loaded.statusCode()).isEqualTo(401);
      assertThat(ledger.submitted).isEmpty();
    }
  }
}

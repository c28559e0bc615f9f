package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.wire.Json;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
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
}

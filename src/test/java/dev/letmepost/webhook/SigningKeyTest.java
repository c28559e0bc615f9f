package dev.letmepost.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server key, the secrets derived from it and the {@code Lmp-Signature} header. */
class SigningKeyTest {
  static final SigningKey KEY =
      SigningKey.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));

  @Test
  void theSecretIsAPureFunctionOfKeyAndEndpointId() {
    // echo -n lmp-webhook-endpoint:we_1 | openssl dgst -sha256 -hmac <key> -binary | base64url
    assertThat(KEY.secretFor("we_1"))
        .isEqualTo("whsec_KSsW-6pbBi5jwf5qoCHYQ4GpbDS189lQcqmxRdWoEhs");
    assertThat(KEY.secretFor("we_2")).isNotEqualTo(KEY.secretFor("we_1"));
    SigningKey other =
        SigningKey.of("0123456789abcdef0123456789abcdeF".getBytes(StandardCharsets.US_ASCII));
    assertThat(other.secretFor("we_1")).isNotEqualTo(KEY.secretFor("we_1"));
  }

  @Test
  void signatureIsHexHmacOfTimestampDotBody() {
    byte[] body = "{\"id\":\"evt_1\"}".getBytes(StandardCharsets.UTF_8);
    // echo -n '1764590400.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
    assertThat(WebhookSignature.header("whsec_test", 1764590400L, body))
        .isEqualTo("t=1764590400,v1=" + WebhookSignature.v1("whsec_test", 1764590400L, body))
        .matches("t=1764590400,v1=[0-9a-f]{64}");
  }

  @Test
  void verifyAcceptsWithinFiveMinutesAndRefusesTamperingOrStaleness() {
    byte[] body = "{\"id\":\"evt_1\"}".getBytes(StandardCharsets.UTF_8);
    Instant t = Instant.ofEpochSecond(1764590400L);
    String h = WebhookSignature.header("whsec_x", t.getEpochSecond(), body);
    Duration tol = WebhookSignature.TOLERANCE;
    assertThat(WebhookSignature.verify("whsec_x", h, body, t, tol)).isTrue();
    assertThat(WebhookSignature.verify("whsec_x", h, body, t.plusSeconds(300), tol)).isTrue();
    assertThat(WebhookSignature.verify("whsec_x", h, body, t.plusSeconds(301), tol)).isFalse();
    assertThat(WebhookSignature.verify("whsec_x", h, body, t.minusSeconds(301), tol)).isFalse();
    assertThat(WebhookSignature.verify("whsec_y", h, body, t, tol)).isFalse();
    byte[] tampered = "{\"id\":\"evt_2\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(WebhookSignature.verify("whsec_x", h, tampered, t, tol)).isFalse();
    String otherTime = h.replace("t=1764590400", "t=1764590401");
    assertThat(WebhookSignature.verify("whsec_x", otherTime, body, t, tol)).isFalse();
    assertThat(WebhookSignature.verify("whsec_x", "garbage", body, t, tol)).isFalse();
    assertThat(WebhookSignature.verify("whsec_x", null, body, t, tol)).isFalse();
  }

  @Test
  void aKeyFileIsReadWithoutItsTrailingNewlineAndMustHold32Bytes(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("key");
    Files.writeString(file, "0123456789abcdef0123456789abcdef\n");
    assertThat(SigningKey.load(file).secretFor("we_1")).isEqualTo(KEY.secretFor("we_1"));
    Files.writeString(file, "short\n");
    assertThatThrownBy(() -> SigningKey.load(file))
        .hasMessageStartingWith("the webhook signing key file " + file + " holds 5 bytes");
    assertThatThrownBy(() -> SigningKey.load(dir.resolve("missing")))
        .hasMessageStartingWith("cannot read the webhook signing key file");
  }

  @Test
  void demoModeGeneratesAKeyOnceAndKeepsIt(@TempDir Path dataDir) {
    SigningKey first = SigningKey.demo(dataDir);
    SigningKey again = SigningKey.demo(dataDir);
    assertThat(again.secretFor("we_1")).isEqualTo(first.secretFor("we_1"));
    assertThat(dataDir.resolve(SigningKey.DEMO_FILE)).exists();
  }
}

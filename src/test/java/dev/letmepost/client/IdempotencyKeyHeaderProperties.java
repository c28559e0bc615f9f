package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.client.IdempotencyKeys.HeaderKey;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The {@code Idempotency-Key} header value for every valid key: its sf-string names it, with the
 * fingerprint of the bare key, and the serializer's value reads back as the key.
 */
class IdempotencyKeyHeaderProperties {
  @Provide
  Arbitrary<String> validKeys() {
    return Arbitraries.strings()
        .withCharRange((char) 0x20, (char) 0x7e)
        .ofMinLength(1)
        .ofMaxLength(IdempotencyKeys.MAX_LENGTH)
        .edgeCases(e -> e.add("\"").add("\"a\"").add("\\").add(" "));
  }

  @Property
  void aQuotedKeyIsTheKeyWithItsFingerprint(@ForAll("validKeys") String key) {
    assertThat(IdempotencyKeys.parseHeader(IdempotencyKeys.sfString(key)))
        .isEqualTo(new HeaderKey.Key(key));
    String named =
        ((HeaderKey.Key) IdempotencyKeys.parseHeader(IdempotencyKeys.sfString(key))).key();
    assertThat(Fingerprint.of("key_alice", "POST", "/v1/posts", named))
        .isEqualTo(Fingerprint.of("key_alice", "POST", "/v1/posts", key));
  }

  @Property
  void theSerializersValueReadsBackAsTheKey(@ForAll("validKeys") String key) {
    String value = IdempotencyKeys.headerValue(key);
    assertThat(IdempotencyKeys.parseHeader(value)).isEqualTo(new HeaderKey.Key(key));
    assertThat(value).isEqualTo(key.startsWith("\"") ? IdempotencyKeys.sfString(key) : key);
  }

  @Property
  void aBareKeyNamesItselfUnlessItStartsWithAQuote(@ForAll("validKeys") String key) {
    if (!key.startsWith("\"")) {
      assertThat(IdempotencyKeys.parseHeader(key)).isEqualTo(new HeaderKey.Key(key));
    }
  }

  @Property
  void twoValidKeysNeverShareAHeaderValue(
      @ForAll("validKeys") String a, @ForAll("validKeys") String b) {
    if (!a.equals(b)) {
      assertThat(IdempotencyKeys.headerValue(a)).isNotEqualTo(IdempotencyKeys.headerValue(b));
      assertThat(IdempotencyKeys.sfString(a)).isNotEqualTo(IdempotencyKeys.sfString(b));
    }
  }
}

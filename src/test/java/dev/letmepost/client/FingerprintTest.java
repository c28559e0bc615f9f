package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.command.Hashing;
import org.junit.jupiter.api.Test;

/** The fingerprint: pinned values, and the ledger's derivation is this one. */
class FingerprintTest {
  private static final String KEY = "01HY6X4AWBJM2K9F2PTQMRD9JQ";

  /** Computed outside Java: SHA-256 over each field's 4-byte big-endian UTF-8 length and bytes. */
  @Test
  void fingerprintIsTheLengthPrefixedSha256OfPrincipalMethodPathAndKey() {
    assertThat(Fingerprint.of("key_alice", "POST", "/v1/posts", KEY))
        .isEqualTo("a2a2c584f7029444ae3ea7956651d3f88805c6c354676e991035bb0dfa3926f4");
  }

  @Test
  void keylessFingerprintPutsTheSourceAfterANullKey() {
    assertThat(Fingerprint.ofKeyless("key_alice", "POST", "/v1/posts", "lmp.post-commands/2/17"))
        .isEqualTo("7c122a4d5af26160819a4ce896923403e40942cd0e46a1bce6f7f103fdd2a433");
  }

  @Test
  void theLedgersHashingDerivesTheSameFingerprints() {
    assertThat(Hashing.fingerprint("key_alice", "POST", "/v1/posts", KEY))
        .isEqualTo(Fingerprint.of("key_alice", "POST", "/v1/posts", KEY));
    assertThat(Hashing.keylessFingerprint("key_alice", "POST", "/v1/posts", "t/0/1"))
        .isEqualTo(Fingerprint.ofKeyless("key_alice", "POST", "/v1/posts", "t/0/1"));
    assertThat(Hashing.lengthPrefixed("a", null, "bc"))
        .isEqualTo(Fingerprint.lengthPrefixed("a", null, "bc"));
  }

  @Test
  void lengthPrefixingKeepsFieldBoundaries() {
    assertThat(Fingerprint.lengthPrefixed("ab", "c"))
        .isNotEqualTo(Fingerprint.lengthPrefixed("a", "bc"));
    assertThat(Fingerprint.lengthPrefixed("", null))
        .isNotEqualTo(Fingerprint.lengthPrefixed(null, ""));
    assertThat(Fingerprint.of("p", "POST", "/v1/posts", "k"))
        .isNotEqualTo(Fingerprint.of("p", "DELETE", "/v1/posts", "k"));
  }
}

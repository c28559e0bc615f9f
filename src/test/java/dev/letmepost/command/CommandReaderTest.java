package dev.letmepost.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.LmpHeaders;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** CommandReader: which records can be addressed an answer, and what they carry. */
class CommandReaderTest {
  private static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);
  private static final String SOURCE = "lmp.post-commands/0/7";

  private static Headers headers(String... namesAndValues) {
    Headers h = new RecordHeaders();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      h.add(
          namesAndValues[i],
          namesAndValues[i + 1] == null
              ? null
              : namesAndValues[i + 1].getBytes(StandardCharsets.UTF_8));
    }
    return h;
  }

  private static Command read(Headers h) {
    return CommandReader.read(h, BODY, SOURCE);
  }

  private static UnreadableCommandException unreadable(Headers h) {
    try {
      read(h);
    } catch (UnreadableCommandException e) {
      return e;
    }
    throw new AssertionError("expected the command to be unreadable");
  }

  @Test
  void fingerprintIsTheOneTheGatewayDerives() {
    Command c = read(headers("lmp-principal", "key_alice", "idempotency-key", "K1"));
    assertThat(c.fingerprint())
        .isEqualTo(
            Hashing.fingerprint(
                "key_alice", LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, "K1"));
    Command keyless = read(headers("lmp-principal", "key_alice"));
    assertThat(keyless.fingerprint())
        .isEqualTo(
            Hashing.keylessFingerprint(
                "key_alice", LmpHeaders.DEFAULT_METHOD, LmpHeaders.DEFAULT_PATH, SOURCE));
  }

  @Test
  void contractHeadersAreRead() {
    Command c =
        read(
            headers(
                "lmp-principal", "key_alice",
                "idempotency-key", "K1",
                "lmp-request-id", "req-1",
                "lmp-method", "POST",
                "lmp-path", "/v1/posts"));
    assertThat(c.principal()).isEqualTo("key_alice");
    assertThat(c.idempotencyKey()).isEqualTo("K1");
    assertThat(c.requestId()).isEqualTo("req-1");
    assertThat(c.method()).isEqualTo("POST");
    assertThat(c.path()).isEqualTo("/v1/posts");
    assertThat(c.bodySha256()).isEqualTo(Hashing.sha256Hex(BODY));
  }

  @Test
  void headersAreReadInAnyAsciiCase() {
    // Was: a bridge forwarding HTTP's "Idempotency-Key" got no replay protection at all.
    Command lower =
        read(headers("lmp-principal", "key_alice", "idempotency-key", "K1", "lmp-request-id", "r"));
    Command mixed =
        read(
            headers(
                "LMP-Principal", "key_alice",
                "Idempotency-Key", "K1",
                "Lmp-Request-Id", "r",
                "LMP-METHOD", "POST",
                "lmp-PATH", "/v1/posts"));
    assertThat(mixed.idempotencyKey()).isEqualTo("K1");
    assertThat(mixed.principal()).isEqualTo("key_alice");
    assertThat(mixed.requestId()).isEqualTo("r");
    assertThat(mixed.fingerprint())
        .as("the same request whatever the spelling")
        .isEqualTo(lower.fingerprint());
  }

  @Test
  void onlyAsciiLettersFold() {
    // U+212A KELVIN SIGN lower-cases to 'k' under Unicode folding; it is not the header.
    Command c = read(headers("lmp-principal", "p", "idempotency-\u212Aey", "K1"));
    assertThat(c.idempotencyKey()).isNull();
  }

  @ParameterizedTest
  @CsvSource({
    "idempotency-key, Idempotency-Key",
    "Idempotency-Key, IDEMPOTENCY-KEY",
    "lmp-request-id, LMP-REQUEST-ID",
    "lmp-method, Lmp-Method",
    "lmp-path, lmp-path"
  })
  void twoSpellingsOfOneHeaderAreARepeatedHeader(String first, String second) {
    UnreadableCommandException e =
        unreadable(headers("lmp-principal", "p", first, "a", second, "b"));
    assertThat(e.code()).isEqualTo("repeated_header");
    assertThat(e.getMessage()).contains(first.toLowerCase()).contains(first).contains(second);
  }

  @Test
  void principalInTwoSpellingsIsARepeatedHeader() {
    assertThat(unreadable(headers("lmp-principal", "a", "Lmp-Principal", "b")).code())
        .isEqualTo("repeated_header");
  }

  @Test
  void missingOrBlankPrincipalIsUnreadable() {
    assertThat(unreadable(headers("idempotency-key", "K1")).code()).isEqualTo("missing_principal");
    assertThat(unreadable(headers("lmp-principal", " ")).code()).isEqualTo("missing_principal");
  }

  @Test
  void headerWithoutValueIsUnreadable() {
    UnreadableCommandException e = unreadable(headers("lmp-principal", "p", "Lmp-Path", null));
    assertThat(e.code()).isEqualTo("invalid_header");
    assertThat(e.getMessage()).contains("lmp-path");
  }

  @Test
  void nonUtf8HeaderIsUnreadableNamingItsSize() {
    Headers h = headers("lmp-principal", "p");
    h.add("LMP-Request-Id", new byte[] {'r', (byte) 0xc3, (byte) 0x28});
    UnreadableCommandException e = unreadable(h);
    assertThat(e.code()).isEqualTo("invalid_header_encoding");
    assertThat(e.getMessage()).contains("lmp-request-id").contains("3 bytes");
  }

  @Test
  void otherHeadersAreIgnoredEvenRepeated() {
    Command c = read(headers("lmp-principal", "p", "x-trace", "1", "x-trace", "2", "lmp", "3"));
    assertThat(c.principal()).isEqualTo("p");
  }

  @ParameterizedTest
  @ValueSource(strings = {"req\u0000", "req\n1", "\u0007", "req\u007f", "req\u0085"})
  void requestIdWithControlCharactersIsInvalid(String id) {
    UnreadableCommandException e = unreadable(headers("lmp-principal", "p", "lmp-request-id", id));
    assertThat(e.code()).isEqualTo("invalid_request_id");
    assertThat(e.getMessage()).contains("control").contains("U+");
  }

  @Test
  void requestIdAtTheLimitIsReadAndOverItIsInvalidAndEchoedCut() {
    String ok = "r".repeat(Limits.MAX_REQUEST_ID_CHARS);
    assertThat(read(headers("lmp-principal", "p", "lmp-request-id", ok)).requestId()).isEqualTo(ok);
    UnreadableCommandException e =
        unreadable(headers("lmp-principal", "p", "lmp-request-id", "r".repeat(100_000)));
    assertThat(e.code()).isEqualTo("invalid_request_id");
    assertThat(e.getMessage()).contains("100000").hasSizeLessThan(200);
  }

  @Test
  void blankRequestIdIsInvalid() {
    assertThat(unreadable(headers("lmp-principal", "p", "lmp-request-id", "  ")).code())
        .isEqualTo("invalid_request_id");
  }

  @ParameterizedTest
  @CsvSource({
    "lmp-principal, invalid_principal, 256",
    "lmp-method, invalid_method, 16",
    "lmp-path, invalid_path, 2048"
  })
  void overlongIdentityHeadersAreUnreadableAndEchoedCut(String header, String code, int max) {
    String ok = "a".repeat(max);
    Headers atLimit =
        header.equals("lmp-principal")
            ? headers(header, ok)
            : headers("lmp-principal", "p", header, ok);
    Command c = read(atLimit);
    assertThat(
            header.equals("lmp-principal")
                ? c.principal()
                : header.equals("lmp-method") ? c.method() : c.path())
        .isEqualTo(ok);

    String huge = "a".repeat(200_000);
    Headers over =
        header.equals("lmp-principal")
            ? headers(header.toUpperCase(), huge)
            : headers("lmp-principal", "p", header.toUpperCase(), huge);
    UnreadableCommandException e = unreadable(over);
    assertThat(e.code()).isEqualTo(code);
    assertThat(e.getMessage())
        .contains(header)
        .contains(Integer.toString(max))
        .contains("200000")
        .hasSizeLessThan(200);
  }

  @Test
  void withoutRequestIdOneIsDerivedFromTheSource() {
    Command c = read(headers("lmp-principal", "p"));
    assertThat(c.requestId())
        .isEqualTo(
            "req_" + Hashing.sha256Hex(SOURCE.getBytes(StandardCharsets.UTF_8)).substring(0, 26));
    assertThat(c.method()).isEqualTo(LmpHeaders.DEFAULT_METHOD);
    assertThat(c.path()).isEqualTo(LmpHeaders.DEFAULT_PATH);
  }

  @Test
  void commandsWithoutKeyNeverShareAFingerprint() {
    Command a = CommandReader.read(headers("lmp-principal", "p"), BODY, "t/0/1");
    Command b = CommandReader.read(headers("lmp-principal", "p"), BODY, "t/0/2");
    assertThat(a.fingerprint()).isNotEqualTo(b.fingerprint());
  }

  @Test
  void nullBodyReadsAsEmpty() {
    assertThat(CommandReader.read(headers("lmp-principal", "p"), null, SOURCE).body().size())
        .isZero();
  }

  @Test
  void matchesComparesAsciiCaseInsensitively() {
    assertThat(LmpHeaders.matches("Idempotency-Key", LmpHeaders.IDEMPOTENCY_KEY)).isTrue();
    assertThat(LmpHeaders.matches("idempotency-keys", LmpHeaders.IDEMPOTENCY_KEY)).isFalse();
    assertThat(LmpHeaders.matches("idempotency_key", LmpHeaders.IDEMPOTENCY_KEY)).isFalse();
  }
}

package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Keys from upstream ids, and the format rule the ledger applies to every key. */
class IdempotencyKeysTest {
  /** Computed outside Java: "up_" + hex SHA-256 of "lmp-upstream-key", workflow, step. */
  @Test
  void aWorkflowStepHasOnePinnedKey() {
    assertThat(IdempotencyKeys.fromUpstream("order-4711", "announce"))
        .isEqualTo("up_e93c5b2a088bdf2beedaf0aa3f832f1984d644edf3155265582fa61b6fffb182");
  }

  @Test
  void aRetriedStepReusesItsKeyAndAnotherStepGetsAnother() {
    String first = IdempotencyKeys.fromUpstream("wf-1", "post");
    assertThat(IdempotencyKeys.fromUpstream("wf-1", "post")).isEqualTo(first);
    assertThat(IdempotencyKeys.fromUpstream("wf-1", "post-2")).isNotEqualTo(first);
    assertThat(IdempotencyKeys.fromUpstream("wf-2", "post")).isNotEqualTo(first);
    assertThat(IdempotencyKeys.fromUpstream("wf-1p", "ost")).isNotEqualTo(first);
  }

  @ParameterizedTest
  @CsvSource({
    "wf-1,post",
    "'',''",
    "'ünïcødé 🚀 workflow','étape\tavec\ncontrôle'",
    "a-very-long-workflow-id-that-alone-is-longer-than-any-key-may-be-0123456789012345678901234567890123456789012345678901234567890123456789,step"
  })
  void derivedKeysAreAlwaysValidKeys(String workflowId, String step) {
    String key = IdempotencyKeys.fromUpstream(workflowId, step);
    assertThat(key).hasSize(67).startsWith("up_");
    assertThat(IdempotencyKeys.problem(key)).isEmpty();
    assertThat(dev.letmepost.command.IdempotencyKeys.problem(key)).isEmpty();
  }

  @Test
  void nullIdsAreRefused() {
    assertThatThrownBy(() -> IdempotencyKeys.fromUpstream(null, "s"))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("workflowId");
    assertThatThrownBy(() -> IdempotencyKeys.fromUpstream("w", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("step");
  }

  @Test
  void theFormatRuleNamesTheProblem() {
    assertThat(IdempotencyKeys.problem("K-1 ok~")).isEmpty();
    assertThat(IdempotencyKeys.problem("x".repeat(128))).isEmpty();
    assertThat(IdempotencyKeys.problem("")).contains("Idempotency-Key must not be empty");
    assertThat(IdempotencyKeys.problem("x".repeat(129)))
        .contains("Idempotency-Key must be at most 128 characters, got 129");
    assertThat(IdempotencyKeys.problem("ké"))
        .contains("Idempotency-Key must be printable ASCII; character 1 is U+00E9");
    assertThat(IdempotencyKeys.problem("a\tb"))
        .contains("Idempotency-Key must be printable ASCII; character 1 is U+0009");
  }

  @Test
  void aQuotedKeyIsTheBareKey() {
    String uuid = "8e03978e-40d5-43e8-bc93-6894a57f9324";
    assertThat(IdempotencyKeys.parseHeader("\"" + uuid + "\""))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Key(uuid));
    assertThat(IdempotencyKeys.parseHeader(uuid))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Key(uuid));
    assertThat(IdempotencyKeys.parseHeader("\"a b\\\"c\\\\d\"  "))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Key("a b\"c\\d"));
  }

  /**
   * The collision attack: bare {@code "a"} and quoted {@code a} are one key ({@code a}), because a
   * value that starts with a quote is always an sf-string; the key of the three characters {@code
   * "a"} is another key, sent only as {@code "\"a\""}.
   */
  @Test
  void aValueThatStartsWithAQuoteIsAlwaysAnSfString() {
    assertThat(IdempotencyKeys.parseHeader("\"a\""))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Key("a"));
    assertThat(IdempotencyKeys.parseHeader("\"\\\"a\\\"\""))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Key("\"a\""));
    assertThat(IdempotencyKeys.headerValue("\"a\"")).isEqualTo("\"\\\"a\\\"\"");
    assertThat(IdempotencyKeys.headerValue("a\"b")).isEqualTo("a\"b");
    assertThat(IdempotencyKeys.parseHeader("a\"b"))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Key("a\"b"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`\"abc` | Idempotency-Key '\"abc' is an unterminated sf-string (no closing quote)",
        "`\"abc\\` | Idempotency-Key '\"abc\\' is an unterminated sf-string (ends in a backslash)",
        "`\"a\\nb\"` | Idempotency-Key '\"a\\nb\"' has a bad escape at character 2 (only \\\" and \\\\ are escapes)",
        "`\"a\"b` | Idempotency-Key '\"a\"b' has characters after the closing quote at character 2 (sf-string)",
        "`\"a\";p=1` | Idempotency-Key '\"a\";p=1' has characters after the closing quote at character 2 (sf-string)",
        "`\"\"` | Idempotency-Key must not be empty",
      })
  void aMalformedSfStringIsRefusedNamingTheProblem(String value, String problem) {
    assertThat(IdempotencyKeys.parseHeader(value))
        .isEqualTo(new IdempotencyKeys.HeaderKey.Malformed(problem));
  }

  @Test
  void aMalformedValueIsQuotedCutAndEscaped() {
    assertThat(IdempotencyKeys.parseHeader("\"k\u00e9\""))
        .isEqualTo(
            new IdempotencyKeys.HeaderKey.Malformed(
                "Idempotency-Key '\"k\\u00E9\"' has character 2 U+00E9, outside 0x20-0x7E"));
    String longValue = "\"" + "x".repeat(300);
    assertThat(
            ((IdempotencyKeys.HeaderKey.Malformed) IdempotencyKeys.parseHeader(longValue))
                .problem())
        .isEqualTo(
            "Idempotency-Key '\""
                + "x".repeat(63)
                + "' (first 64 of 301 chars) is an unterminated sf-string (no closing quote)");
    assertThat(IdempotencyKeys.parseHeader("\"" + "x".repeat(129) + "\""))
        .isEqualTo(
            new IdempotencyKeys.HeaderKey.Malformed(
                "Idempotency-Key must be at most 128 characters, got 129"));
  }
}

package dev.letmepost.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Preflight: every way a body can be wrong is reported with its field, code and the value. */
class PreflightTest {
  private static Preflight.Result check(String body) {
    return Preflight.check(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void validBodyBecomesARequest() {
    Preflight.Result r =
        check(
            "{\"targets\":[{\"accountId\":\"acc_1\"},{\"platform\":\"X\"}],\"text\":\"hi\","
                + "\"media\":[{\"url\":\"https://e.com/a.png\",\"altText\":\"a\"}],\"firstComment\":\"c\",\"scheduledAt\":\"2026-12-01T09:00:00+01:00\"}");
    assertThat(r.errors()).isEmpty();
    assertThat(r.request().targets())
        .containsExactly(
            new PostRequest.Target("acc_1", null), new PostRequest.Target(null, Platform.TWITTER));
    assertThat(r.request().media()).hasSize(1);
    assertThat(r.request().scheduledAt()).isEqualTo(Instant.parse("2026-12-01T08:00:00Z"));
  }

  @ParameterizedTest(name = "{0} -> {1} at {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "''                                                              | empty_body          | ''",
        "'{\"targets\":'                                                 | malformed_json      | ''",
        "'[1]'                                                           | not_an_object       | ''",
        "'{\"targets\":[{\"accountId\":\"a\"}],\"text\":\"x\"} trailing' | malformed_json      | ''",
        "'{\"targets\":[{\"accountId\":\"a\"}],\"text\":\"x\",\"text\":\"y\"}' | malformed_json | ''",
        "'{\"text\":\"x\"}'                                              | required            | targets",
        "'{\"targets\":{},\"text\":\"x\"}'                               | not_an_array        | targets",
        "'{\"targets\":[],\"text\":\"x\"}'                               | empty_batch         | targets",
        "'{\"targets\":[{\"accountId\":\"a\",\"platform\":\"x\"}],\"text\":\"x\"}' | invalid_target | targets[0]",
        "'{\"targets\":[{\"accountId\":\"\"}],\"text\":\"x\"}'           | invalid_account_id  | targets[0].accountId",
        "'{\"targets\":[{\"platform\":\"myspace\"}],\"text\":\"x\"}'     | unknown_platform    | targets[0].platform",
        "'{\"targets\":[{\"accountId\":\"a\"},{\"accountId\":\"a\"}],\"text\":\"x\"}' | duplicate_target | targets[1]",
        "'{\"targets\":[{\"accountId\":\"a\",\"x\":1}],\"text\":\"x\"}'  | unknown_field       | targets[0].x",
        "'{\"targets\":[{\"accountId\":\"a\"}]}'                         | required            | text",
        "'{\"targets\":[{\"accountId\":\"a\"}],\"text\":\"  \"}'         | required            | text",
        "'{\"targets\":[{\"accountId\":\"a\"}],\"text\":5}'              | not_a_string        | text",
        "'{\"targets\":[{\"accountId\":\"a\"}],\"text\":\"x\",\"media\":[{\"url\":\"ftp://h/x\"}]}' | invalid_url | media[0].url",
        "'{\"targets\":[{\"accountId\":\"a\"}],\"text\":\"x\",\"scheduledAt\":\"tomorrow\"}' | invalid_timestamp | scheduledAt",
      })
  void badBodyIsAPreflightError(String body, String code, String field) {
    Preflight.Result r = check(body);
    assertThat(r.ok()).isFalse();
    assertThat(r.errors())
        .anySatisfy(
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.field()).isEqualTo(field);
              assertThat(e.message()).isNotBlank();
            });
  }

  @Test
  void moreThanTwentyFiveTargetsIsRejectedWithTheCount() {
    StringBuilder b = new StringBuilder("{\"targets\":[");
    for (int i = 0; i < 26; i++) {
      b.append(i == 0 ? "" : ",").append("{\"accountId\":\"a").append(i).append("\"}");
    }
    Preflight.Result r = check(b.append("],\"text\":\"x\"}").toString());
    assertThat(r.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.code()).isEqualTo("too_many_targets");
              assertThat(e.message()).contains("26").contains("25");
            });
  }

  @Test
  void mediaAloneNeedsNoText() {
    assertThat(
            check(
                    "{\"targets\":[{\"accountId\":\"a\"}],\"media\":[{\"url\":\"https://e.com/a.png\"}]}")
                .ok())
        .isTrue();
  }

  @Test
  void everyProblemIsReportedNotJustTheFirst() {
    Preflight.Result r =
        check("{\"targets\":[{\"platform\":\"myspace\"}],\"text\":5,\"colour\":\"red\"}");
    assertThat(r.errors())
        .extracting(FieldError::code)
        .containsExactlyInAnyOrder("unknown_field", "unknown_platform", "not_a_string");
  }

  // --- Bounds (Limits): each field, at its limit and one past it. ---

  /** A body with one target and the given extra members (already JSON). */
  private static String with(String members) {
    return "{\"targets\":[{\"accountId\":\"a\"}]," + members + "}";
  }

  private static String q(String s) {
    return new String(Json.write(s), StandardCharsets.UTF_8);
  }

  private static FieldError onlyError(Preflight.Result r) {
    assertThat(r.ok()).isFalse();
    assertThat(r.errors()).hasSize(1);
    return r.errors().get(0);
  }

  @Test
  void textOverFortyThousandCodePointsIsTooLong() {
    String emoji = "\uD83D\uDE00"; // two chars, one code point
    assertThat(check(with("\"text\":" + q(emoji.repeat(Limits.MAX_TEXT_CODE_POINTS)))).ok())
        .as("the limit counts code points, not UTF-16 chars")
        .isTrue();
    FieldError e = onlyError(check(with("\"text\":" + q("x".repeat(40_001)))));
    assertThat(e.field()).isEqualTo("text");
    assertThat(e.code()).isEqualTo("too_long");
    assertThat(e.message()).contains("40001").contains("40000");
  }

  @Test
  void firstCommentOverTenThousandCodePointsIsTooLong() {
    assertThat(check(with("\"text\":\"x\",\"firstComment\":" + q("c".repeat(10_000)))).ok())
        .isTrue();
    FieldError e =
        onlyError(check(with("\"text\":\"x\",\"firstComment\":" + q("c".repeat(10_001)))));
    assertThat(e.field()).isEqualTo("firstComment");
    assertThat(e.code()).isEqualTo("too_long");
    assertThat(e.message()).contains("10000");
  }

  @Test
  void altTextOverTwoThousandCodePointsIsTooLong() {
    String media = "\"text\":\"x\",\"media\":[{\"url\":\"https://e.com/a.png\",\"altText\":";
    assertThat(check(with(media + q("a".repeat(2_000)) + "}]")).ok()).isTrue();
    FieldError e = onlyError(check(with(media + q("a".repeat(2_001)) + "}]")));
    assertThat(e.field()).isEqualTo("media[0].altText");
    assertThat(e.code()).isEqualTo("too_long");
    assertThat(e.message()).contains("2000");
  }

  @ParameterizedTest(name = "U+{0}")
  @ValueSource(ints = {0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f})
  void controlCharactersInContentAreRefused(int control) {
    String bad = "a" + (char) control + "b";
    for (String body :
        new String[] {
          with("\"text\":" + q(bad)),
          with("\"text\":\"x\",\"firstComment\":" + q(bad)),
          with(
              "\"text\":\"x\",\"media\":[{\"url\":\"https://e.com/a.png\",\"altText\":"
                  + q(bad)
                  + "}]")
        }) {
      FieldError e = onlyError(check(body));
      assertThat(e.code()).isEqualTo("invalid_character");
      assertThat(e.message()).contains(String.format("U+%04X", control)).contains("index 1");
    }
  }

  @Test
  void tabNewlineAndCarriageReturnAreAllowedInContent() {
    assertThat(
            check(with("\"text\":" + q("a\tb\nc\r\nd") + ",\"firstComment\":" + q("\t\n\r"))).ok())
        .isTrue();
  }

  @Test
  void unpairedSurrogateInTextIsRefused() {
    // JSON can carry a lone surrogate only escaped; Jackson reads it into the string as is.
    FieldError e = onlyError(check(with("\"text\":\"ok \\uD800 then\"")));
    assertThat(e.field()).isEqualTo("text");
    assertThat(e.code()).isEqualTo("invalid_character");
    assertThat(e.message()).contains("U+D800").contains("unpaired");
    assertThat(onlyError(check(with("\"text\":\"\\uDC00\""))).code())
        .isEqualTo("invalid_character");
  }

  @Test
  void mediaUrlOverTheLimitIsTooLong() {
    String base = "https://e.com/";
    String ok = base + "a".repeat(Limits.MAX_URL_CHARS - base.length());
    assertThat(check(with("\"media\":[{\"url\":" + q(ok) + "}]")).ok()).isTrue();
    FieldError e =
        onlyError(check(with("\"text\":\"x\",\"media\":[{\"url\":" + q(ok + "a") + "}]")));
    assertThat(e.field()).isEqualTo("media[0].url");
    assertThat(e.code()).isEqualTo("too_long");
    assertThat(e.message()).contains("2048").contains("2049");
    assertThat(e.message().length()).isLessThan(300);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"https://e.com/ b.png", "https://e.com/\u00e9.png", "https://e.com/\u0001"})
  void mediaUrlMustBeAsciiWithoutSpacesOrControls(String url) {
    FieldError e = onlyError(check(with("\"text\":\"x\",\"media\":[{\"url\":" + q(url) + "}]")));
    assertThat(e.field()).isEqualTo("media[0].url");
    assertThat(e.code()).isEqualTo("invalid_url");
    assertThat(e.message()).contains("character 14");
  }

  @Test
  void plainHttpMediaUrlsAreStillAccepted() {
    // What the contract accepted before the bounds: http and https (platforms fetch either).
    assertThat(check(with("\"media\":[{\"url\":\"http://e.com/a.png\"}]")).ok()).isTrue();
  }

  @Test
  void accountIdOverOneHundredTwentyEightCharactersIsTooLong() {
    String ok = "a".repeat(Limits.MAX_ACCOUNT_ID_CHARS);
    assertThat(check("{\"targets\":[{\"accountId\":\"" + ok + "\"}],\"text\":\"x\"}").ok())
        .isTrue();
    FieldError e =
        onlyError(check("{\"targets\":[{\"accountId\":\"" + ok + "a\"}],\"text\":\"x\"}"));
    assertThat(e.field()).isEqualTo("targets[0].accountId");
    assertThat(e.code()).isEqualTo("too_long");
    assertThat(e.message()).contains("128").contains("129");
  }

  @ParameterizedTest
  @ValueSource(strings = {"acc_\u00e9", "acc\u0000", "acc\t1", "acc\u007f"})
  void accountIdMustBePrintableAscii(String id) {
    FieldError e = onlyError(check("{\"targets\":[{\"accountId\":" + q(id) + "}],\"text\":\"x\"}"));
    assertThat(e.field()).isEqualTo("targets[0].accountId");
    assertThat(e.code()).isEqualTo("invalid_account_id");
    assertThat(e.message()).contains("printable ASCII");
  }

  @Test
  void hugePlatformNameIsUnknownAndEchoedCut() {
    String name = "p".repeat(100_000);
    FieldError e =
        onlyError(check("{\"targets\":[{\"platform\":\"" + name + "\"}],\"text\":\"x\"}"));
    assertThat(e.code()).isEqualTo("unknown_platform");
    assertThat(e.message().length()).isLessThan(200);
    assertThat(e.message()).contains("100002 chars");
  }

  // --- Echoed values are cut; the number of errors is bounded. ---

  @Test
  void hugeStringInTargetsIsEchoedCut() {
    // Was: the whole node in the message, a 400 KB error body the ledger then stores twice.
    String huge = "t".repeat(400_000);
    FieldError e = onlyError(check("{\"targets\":\"" + huge + "\",\"text\":\"x\"}"));
    assertThat(e.code()).isEqualTo("not_an_array");
    assertThat(e.message()).hasSizeLessThan(200).contains("400002 chars");
  }

  @Test
  void everyEchoingMessageIsCut() {
    String huge = "v".repeat(50_000);
    Preflight.Result r =
        check(
            "{\"targets\":[\""
                + huge
                + "\",{\"accountId\":5},{\"platform\":\""
                + huge
                + "\"}],\"text\":{\"a\":\""
                + huge
                + "\"},\"media\":[{\"url\":\""
                + huge
                + "\",\"altText\":[\""
                + huge
                + "\"]},\"x\"],\"firstComment\":[\""
                + huge
                + "\"],\"scheduledAt\":\""
                + huge
                + "\",\""
                + huge
                + "\":1}");
    assertThat(r.errors())
        .extracting(FieldError::code)
        .contains(
            "not_an_object",
            "invalid_account_id",
            "unknown_platform",
            "not_a_string",
            "too_long",
            "invalid_timestamp",
            "unknown_field");
    assertThat(r.errors())
        .allSatisfy(
            e -> {
              assertThat(e.message()).hasSizeLessThan(300);
              assertThat(e.field()).hasSizeLessThan(100);
            });
  }

  @Test
  void moreThanFiftyErrorsEndInOneTooManyErrors() {
    ObjectNode body = Json.MAPPER.createObjectNode();
    ArrayNode targets = body.putArray("targets");
    body.put("text", "x");
    for (int i = 0; i < 200; i++) {
      body.put("unknown" + i, i);
    }
    targets.addObject().put("accountId", "a");
    Preflight.Result r = Preflight.check(Json.write(body));
    assertThat(r.errors()).hasSize(Limits.MAX_FIELD_ERRORS + 1);
    assertThat(r.errors().subList(0, 50)).allMatch(e -> e.code().equals("unknown_field"));
    FieldError last = r.errors().get(50);
    assertThat(last.code()).isEqualTo("too_many_errors");
    assertThat(last.message()).contains("150").contains("50");
  }

  @Test
  void exactlyFiftyErrorsAreAllListed() {
    StringBuilder b = new StringBuilder("{\"targets\":[{\"accountId\":\"a\"}],\"text\":\"x\"");
    for (int i = 0; i < 50; i++) {
      b.append(",\"u").append(i).append("\":1");
    }
    Preflight.Result r = check(b.append('}').toString());
    assertThat(r.errors()).hasSize(50).noneMatch(e -> e.code().equals("too_many_errors"));
  }

  @Test
  void jacksonParseMessageQuotingALongTokenIsCut() {
    Preflight.Result r = check("{\"targets\": x" + "y".repeat(100_000) + "}");
    FieldError e = onlyError(r);
    assertThat(e.code()).isEqualTo("malformed_json");
    assertThat(e.message()).hasSizeLessThanOrEqualTo(400).doesNotContain("y".repeat(65));
  }

  // --- Extreme values. ---

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+999999999-12-31T23:59:59Z",
        "-999999999-01-01T00:00:00Z",
        "+10000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",
        "1969-12-31T23:59:59.999Z",
        "0000-01-01T00:00:00Z"
      })
  void scheduledAtOutsideYears1970To9999IsInvalid(String at) {
    // Was: "+999999999-12-31T23:59:59Z" passed and the ledger's toEpochMilli() threw.
    FieldError e = onlyError(check(with("\"text\":\"x\",\"scheduledAt\":\"" + at + "\"")));
    assertThat(e.field()).isEqualTo("scheduledAt");
    assertThat(e.code()).isEqualTo("invalid_scheduled_at");
    assertThat(e.message()).contains(at);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-12-01T09:00:00Z"})
  void scheduledAtInsideTheRangeIsAccepted(String at) {
    Preflight.Result r = check(with("\"text\":\"x\",\"scheduledAt\":\"" + at + "\""));
    assertThat(r.errors()).isEmpty();
    assertThat(r.request().scheduledAt().toEpochMilli())
        .isEqualTo(Instant.parse(at).toEpochMilli());
  }

  @Test
  void overlongScheduledAtIsNotATimestampAndIsEchoedCut() {
    FieldError e =
        onlyError(check(with("\"text\":\"x\",\"scheduledAt\":\"2026" + "9".repeat(10_000) + "\"")));
    assertThat(e.code()).isEqualTo("invalid_timestamp");
    assertThat(e.message()).hasSizeLessThan(300);
  }

  @ParameterizedTest
  @ValueSource(ints = {1_001, 100_000, 400_000})
  void deeplyNestedJsonIsMalformedNotAnException(int depth) {
    char[] open = new char[depth];
    Arrays.fill(open, '[');
    for (String body :
        new String[] {
          new String(open), "{\"targets\":" + new String(open), with("\"text\":" + new String(open))
        }) {
      FieldError e = onlyError(check(body));
      assertThat(e.code()).isEqualTo("malformed_json");
      assertThat(e.message()).contains("nesting depth").hasSizeLessThan(400);
    }
  }

  @Test
  void deepButAllowedNestingIsEchoedCut() {
    String nested = "[".repeat(990) + "]".repeat(990);
    FieldError e = onlyError(check("{\"targets\":[" + nested + "],\"text\":\"x\"}"));
    assertThat(e.code()).isEqualTo("not_an_object");
    assertThat(e.message()).hasSizeLessThan(200);
  }

  @Test
  void hugeNumbersAreErrorsNotExceptions() {
    FieldError tooLong = onlyError(check(with("\"text\":" + "9".repeat(5_000))));
    assertThat(tooLong.code()).isEqualTo("malformed_json");
    assertThat(tooLong.message()).contains("Number value length").hasSizeLessThan(400);
    for (String n : new String[] {"1e999999999", "-1e-999999999", "9".repeat(999), "1.5e308"}) {
      FieldError e = onlyError(check(with("\"text\":" + n)));
      assertThat(e.code()).isEqualTo("not_a_string");
      assertThat(e.message()).hasSizeLessThan(200);
    }
  }

  @Test
  void bodyOverTheBodyLimitIsRefusedUnparsed() {
    byte[] body = new byte[Limits.MAX_BODY_BYTES + 1];
    Arrays.fill(body, (byte) ' ');
    FieldError e = onlyError(Preflight.check(body));
    assertThat(e.code()).isEqualTo("body_too_large");
    assertThat(e.message()).contains(Integer.toString(Limits.MAX_BODY_BYTES));
  }

  @Test
  void nullBodyIsEmpty() {
    assertThat(onlyError(Preflight.check(null)).code()).isEqualTo("empty_body");
  }
}

package dev.letmepost.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.wire.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
}

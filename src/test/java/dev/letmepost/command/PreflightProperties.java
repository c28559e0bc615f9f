package dev.letmepost.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask.Media;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Preflight on hostile bodies: it never throws, its error list stays small whatever the body holds,
 * and what it accepts is within every bound of {@link Limits}.
 */
class PreflightProperties {
  private static final String VALID =
      "{\"targets\":[{\"accountId\":\"acc_1\"},{\"platform\":\"bluesky\"}],\"text\":\"hi\","
          + "\"media\":[{\"url\":\"https://e.com/a.png\",\"altText\":\"a\"}],\"firstComment\":\"c\","
          + "\"scheduledAt\":\"2026-12-01T09:00:00Z\"}";

  /** The bound of an error list as the ledger renders it (51 entries of cut messages). */
  private static final int MAX_ERRORS_JSON_BYTES = 64 * 1024;

  @Property(tries = 400)
  void anyBytesGetAResultNeverAnException(@ForAll("bodies") byte[] body) {
    assertBounded(Preflight.check(body));
  }

  @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
  void acceptedBodiesAreWithinEveryLimit(@ForAll("objects") ObjectNode body) {
    Preflight.Result r = Preflight.check(Json.write(body));
    Statistics.label("verdict").collect(r.ok() ? "ok" : "refused");
    Statistics.label("verdict")
        .coverage(
            c -> {
              c.check("ok").percentage(p -> p >= 8);
              c.check("refused").percentage(p -> p >= 8);
            });
    assertBounded(r);
    if (!r.ok()) {
      return;
    }
    PostRequest p = r.request();
    assertContent(p.text(), Limits.MAX_TEXT_CODE_POINTS);
    if (p.firstComment() != null) {
      assertContent(p.firstComment(), Limits.MAX_FIRST_COMMENT_CODE_POINTS);
    }
    assertThat(p.media()).hasSizeLessThanOrEqualTo(Preflight.MAX_MEDIA);
    for (Media m : p.media()) {
      assertThat(m.url())
          .hasSizeLessThanOrEqualTo(Limits.MAX_URL_CHARS)
          .matches("(?i)https?://\\p{Graph}+");
      if (m.altText() != null) {
        assertContent(m.altText(), Limits.MAX_ALT_TEXT_CODE_POINTS);
      }
    }
    assertThat(p.targets()).hasSizeBetween(1, Preflight.MAX_TARGETS);
    for (PostRequest.Target t : p.targets()) {
      if (t.accountId() != null) {
        assertThat(t.accountId())
            .hasSizeLessThanOrEqualTo(Limits.MAX_ACCOUNT_ID_CHARS)
            .matches("[\\x20-\\x7e]+");
      }
    }
    if (p.scheduledAt() != null) {
      assertThat(p.scheduledAt().toEpochMilli()).isNotNegative();
    }
  }

  private static void assertBounded(Preflight.Result r) {
    assertThat(r).isNotNull();
    assertThat(r.ok()).isEqualTo(r.errors().isEmpty());
    assertThat(r.errors()).hasSizeLessThanOrEqualTo(Limits.MAX_FIELD_ERRORS + 1);
    for (FieldError e : r.errors()) {
      assertThat(e.field()).hasSizeLessThanOrEqualTo(128);
      assertThat(e.message()).hasSizeLessThanOrEqualTo(512);
    }
    assertThat(Json.write(r.errors()).length).isLessThanOrEqualTo(MAX_ERRORS_JSON_BYTES);
  }

  private static void assertContent(String s, int maxCodePoints) {
    assertThat(s.codePointCount(0, s.length())).isLessThanOrEqualTo(maxCodePoints);
    s.codePoints()
        .forEach(
            cp -> {
              assertThat(cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r')
                  .as("U+%04X", cp)
                  .isTrue();
              assertThat(cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
                  .as("unpaired surrogate U+%04X", cp)
                  .isTrue();
            });
  }

  /** Random bytes, and a valid body with random bytes flipped, inserted or cut. */
  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
    byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
    Arbitrary<byte[]> mutated =
        Combinators.combine(
                Arbitraries.integers()
                    .between(0, valid.length - 1)
                    .list()
                    .ofMinSize(1)
                    .ofMaxSize(4),
                Arbitraries.bytes().list().ofSize(4),
                Arbitraries.integers().between(0, 2))
            .as(
                (positions, bytes, op) -> {
                  byte[] b = valid.clone();
                  for (int i = 0; i < positions.size(); i++) {
                    int at = Math.min(positions.get(i), b.length - 1);
                    if (op == 0) {
                      b[at] = bytes.get(i);
                    } else if (op == 1) {
                      byte[] longer = new byte[b.length + 1];
                      System.arraycopy(b, 0, longer, 0, at);
                      longer[at] = bytes.get(i);
                      System.arraycopy(b, at, longer, at + 1, b.length - at);
                      b = longer;
                    } else {
                      b = java.util.Arrays.copyOf(b, Math.max(1, at));
                    }
                  }
                  return b;
                });
    Arbitrary<byte[]> deep =
        Combinators.combine(
                Arbitraries.of("[", "{\"a\":", "{\"targets\":["),
                Arbitraries.of(10, 999, 1_000, 1_001, 20_000))
            .as((open, depth) -> open.repeat(depth).getBytes(StandardCharsets.UTF_8));
    return Arbitraries.frequencyOf(Tuple.of(3, random), Tuple.of(5, mutated), Tuple.of(1, deep));
  }

  /** A post body of hostile strings around each limit; sometimes with a field of the wrong type. */
  @Provide
  Arbitrary<ObjectNode> objects() {
    Arbitrary<String> text = content(Limits.MAX_TEXT_CODE_POINTS);
    Arbitrary<String> comment = content(Limits.MAX_FIRST_COMMENT_CODE_POINTS);
    Arbitrary<String> alt = content(Limits.MAX_ALT_TEXT_CODE_POINTS);
    Arbitrary<String> url =
        Combinators.combine(
                Arbitraries.frequency(
                    Tuple.of(6, "https://e.com/"),
                    Tuple.of(2, "http://e.com/"),
                    Tuple.of(1, "HTTPS://e.com/"),
                    Tuple.of(1, "ftp://e.com/"),
                    Tuple.of(1, "https:///")),
                Arbitraries.frequencyOf(
                    Tuple.of(5, repeated(URL_SAFE, Limits.MAX_URL_CHARS - 14)),
                    Tuple.of(1, content(Limits.MAX_URL_CHARS - 14))))
            .as(String::concat);
    Arbitrary<String> account =
        Arbitraries.frequencyOf(
            Tuple.of(
                6, Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(8)),
            Tuple.of(1, content(Limits.MAX_ACCOUNT_ID_CHARS)));
    Arbitrary<String> scheduledAt =
        Arbitraries.of(
            "2026-12-01T09:00:00Z",
            "2026-12-01T09:00:00.123+05:30",
            "2026-12-01T09:00:00Z",
            "+999999999-12-31T23:59:59Z",
            "-999999999-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999999999Z",
            "9999-12-31T23:59:59-18:00",
            "2026-02-30T00:00:00Z",
            "2026-12-01T09:00:00");
    Arbitrary<List<String>> accounts =
        Arbitraries.frequencyOf(
            Tuple.of(8, account.list().uniqueElements().ofMinSize(1).ofMaxSize(4)),
            Tuple.of(1, account.list().ofMinSize(0).ofMaxSize(27)));
    Arbitrary<List<Tuple.Tuple2<String, String>>> media =
        Arbitraries.frequencyOf(
            Tuple.of(6, Combinators.combine(url, alt).as(Tuple::of).list().ofMaxSize(2)),
            Tuple.of(1, Combinators.combine(url, alt).as(Tuple::of).list().ofMaxSize(11)));
    return Combinators.combine(
            accounts,
            text,
            comment.injectNull(0.5),
            media,
            scheduledAt.injectNull(0.7),
            Arbitraries.integers().between(0, 15))
        .as(
            (targets, t, c, m, at, wrong) -> {
              ObjectNode body = Json.MAPPER.createObjectNode();
              ArrayNode ts = body.putArray("targets");
              targets.forEach(a -> ts.addObject().put("accountId", a));
              body.put("text", t);
              if (c != null) {
                body.put("firstComment", c);
              }
              if (!m.isEmpty()) {
                ArrayNode ms = body.putArray("media");
                m.forEach(x -> ms.addObject().put("url", x.get1()).put("altText", x.get2()));
              }
              if (at != null) {
                body.put("scheduledAt", at);
              }
              switch (wrong) {
                case 1 -> body.put("text", 1e300);
                case 2 -> body.putArray("scheduledAt").add(at == null ? "x" : at);
                case 3 -> body.putObject("targets").put(t, c);
                default -> {}
              }
              return body;
            });
  }

  /**
   * Strings of about {@code limit} code points (well under, one under, at, one over, far over),
   * repeating a short piece of any characters: controls, unpaired surrogates, emoji and all.
   */
  private static final Arbitrary<String> URL_SAFE =
      Arbitraries.strings().withChars("abcxyz019/._~%-").ofMinLength(1).ofMaxLength(4);

  private static Arbitrary<String> content(int limit) {
    return repeated(
        Arbitraries.frequencyOf(
            Tuple.of(1, Arbitraries.strings().all().ofMinLength(1).ofMaxLength(4)),
            Tuple.of(4, Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(4)),
            Tuple.of(2, Arbitraries.of("\uD83D\uDE00", "a\tb\n", "\"\\", "\u2028", "\r\n"))),
        limit);
  }

  /** {@code piece} repeated to about {@code limit} code points, cut inside the piece if need be. */
  private static Arbitrary<String> repeated(Arbitrary<String> piece, int limit) {
    Arbitrary<Integer> codePoints =
        Arbitraries.frequency(
            Tuple.of(4, 1),
            Tuple.of(4, 7),
            Tuple.of(2, limit - 1),
            Tuple.of(2, limit),
            Tuple.of(1, limit + 1),
            Tuple.of(1, 3 * limit));
    return Combinators.combine(piece, codePoints)
        .as(
            (p, n) -> {
              StringBuilder b = new StringBuilder();
              int count = 0;
              while (count < n) {
                for (int i = 0; i < p.length() && count < n; ) {
                  int cp = p.codePointAt(i);
                  b.appendCodePoint(cp);
                  i += Character.charCount(cp);
                  count++;
                }
              }
              return b.toString();
            });
  }
}

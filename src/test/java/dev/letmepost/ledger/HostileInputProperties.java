package dev.letmepost.ledger;

import static dev.letmepost.ledger.LedgerHarness.PRINCIPAL;
import static dev.letmepost.ledger.LedgerHarness.T0;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.command.Command;
import dev.letmepost.command.CommandReader;
import dev.letmepost.command.CommandSerde;
import dev.letmepost.command.Limits;
import dev.letmepost.command.UnreadableCommandException;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PostEvent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.slf4j.LoggerFactory;

/**
 * Hostile input on the real topology ({@link LedgerHarness}): headers in any case, repeated, not
 * UTF-8 or huge; bodies of random bytes, of huge fields around every {@link Limits} bound, extreme
 * numbers and dates, deep nesting; record timestamps ancient, far in the future and out of order;
 * the wall clock jumping. Whatever comes in:
 *
 * <ul>
 *   <li>no exception escapes the topology;
 *   <li>every command the broker would take gets exactly one answer on the results topic (keyed by
 *       its request id) or exactly one dead letter, once the wall clock has passed every schedule
 *       and deadline;
 *   <li>every record the ledger produces (results, publish tasks, dead letters, events) and every
 *       value in its stores stays under {@link Limits#MAX_RECORD_BYTES}, checked after every step;
 *   <li>every batch's lifecycle events, once the wall clock has passed everything, are one {@code
 *       batch.accepted} first, one {@code target.*} per target and one {@code batch.completed}
 *       last.
 * </ul>
 *
 * <p>Commands larger than the commands topic's {@code max.message.bytes} are not sent: the broker
 * refuses them before the ledger sees them.
 *
 * <p>About 20 s in all when nothing fails (shrinking a failure takes longer): {@code mvn -B -q test
 * -Dtest=HostileInputProperties}; {@code -Dhostile.timing=true} prints each try's time.
 */
class HostileInputProperties {
  private static final String TOPIC = "lmp.post-commands";
  private static final String MARKER = "x-hostile-seq";

  /** Enough connected sandbox accounts for the largest batch. */
  private static final int SANDBOX_ACCOUNTS = dev.letmepost.command.Preflight.MAX_TARGETS;

  private static final List<String> SMALL_ACCOUNTS =
      List.of("acc_tw", "acc_li", "acc_bs", "acc_s0");

  /** The contract's command headers by slot; slot 5 is some other header. */
  private static final String[] NAMES = {
    LmpHeaders.PRINCIPAL,
    LmpHeaders.IDEMPOTENCY_KEY,
    LmpHeaders.REQUEST_ID,
    LmpHeaders.METHOD,
    LmpHeaders.PATH
  };

  private static final int[] LIMITS = {
    Limits.MAX_PRINCIPAL_CHARS,
    128,
    Limits.MAX_REQUEST_ID_CHARS,
    Limits.MAX_METHOD_CHARS,
    Limits.MAX_PATH_CHARS
  };

  private static final long T0_MS = T0.toEpochMilli();

  private static Level savedLevel;
  private static Level savedStreamsLevel;

  @BeforeContainer
  static void quiet() {
    // Dead letters and ignored outcomes are logged (WARN); here they are the point.
    Logger ledgerLog = (Logger) LoggerFactory.getLogger("dev.letmepost.ledger");
    savedLevel = ledgerLog.getLevel();
    ledgerLog.setLevel(Level.ERROR);
    Logger streams = (Logger) LoggerFactory.getLogger("org.apache.kafka");
    savedStreamsLevel = streams.getLevel();
    streams.setLevel(Level.ERROR);
  }

  @AfterContainer
  static void restoreLogging() {
    ((Logger) LoggerFactory.getLogger("dev.letmepost.ledger")).setLevel(savedLevel);
    ((Logger) LoggerFactory.getLogger("org.apache.kafka")).setLevel(savedStreamsLevel);
  }

  // ---------------------------------------------------------------------------------------------
  // The properties: one family of hostile input each, then all at once.

  @Property(tries = 60, edgeCases = EdgeCasesMode.NONE)
  void hostileHeadersAreAnsweredOrDeadLetteredOnce(@ForAll("headerScenarios") List<Step> steps) {
    play(steps);
  }

  @Property(tries = 25, edgeCases = EdgeCasesMode.NONE)
  void hostileBodiesAreAnsweredOnceWithinTheRecordCeiling(
      @ForAll("bodyScenarios") List<Step> steps) {
    play(steps);
  }

  @Property(tries = 50, edgeCases = EdgeCasesMode.NONE)
  void wildTimestampsNeitherThrowNorLoseAnswers(@ForAll("timeScenarios") List<Step> steps) {
    play(steps);
  }

  @Property(tries = 25, edgeCases = EdgeCasesMode.NONE)
  void everythingHostileAtOnce(@ForAll("mixedScenarios") List<Step> steps) {
    play(steps);
  }

  /**
   * The budget of {@link Limits}: the largest body preflight accepts, scheduled (so the ledger
   * keeps its tasks until release) to the most targets, in characters that serialize large.
   */
  @Property(tries = 6, edgeCases = EdgeCasesMode.NONE)
  void largestScheduledBatchStaysUnderTheRecordCeiling(@ForAll("worstCases") List<Step> steps) {
    play(steps);
  }

  // ---------------------------------------------------------------------------------------------
  // Steps.

  /** One move of a scenario. */
  sealed interface Step permits Send, Tick {}

  /** A command with these headers and body, at this record timestamp. */
  record Send(List<HeaderSpec> headers, Body body, long timestamp) implements Step {
    @Override
    public String toString() {
      return "send(" + headers + ", " + body + ", ts " + Ts.describe(timestamp) + ")";
    }
  }

  /** Moves the ledger's wall clock. */
  record Tick(long millis) implements Step {
    @Override
    public String toString() {
      return "tick(+" + Duration.ofMillis(millis) + ")";
    }
  }

  /** What kind of value a header gets. */
  enum Kind {
    VALID,
    OTHER,
    EMPTY,
    BLANK,
    AT_LIMIT,
    OVER_LIMIT,
    HUGE,
    CONTROL,
    INVALID_UTF8,
    NULL
  }

  /**
   * One header: a contract header by slot (0-4) or another one (5), its name spelled by {@code
   * caseBits} (bit i upper-cases letter i), and a value of some kind.
   */
  record HeaderSpec(int slot, long caseBits, Kind kind) {
    String name() {
      String base = slot < NAMES.length ? NAMES[slot] : "x-extra-" + (caseBits & 3);
      char[] c = base.toCharArray();
      for (int i = 0; i < c.length; i++) {
        if (((caseBits >>> (i % 64)) & 1) == 1) {
          c[i] = Character.toUpperCase(c[i]);
        }
      }
      return new String(c);
    }

    byte[] value(int seq) {
      if (kind == Kind.NULL) {
        return null;
      }
      if (kind == Kind.INVALID_UTF8) {
        return new byte[] {'a', (byte) 0xc3, (byte) 0x28, (byte) 0xff};
      }
      return utf8(text(seq));
    }

    private String text(int seq) {
      int limit = slot < NAMES.length ? LIMITS[slot] : 64;
      return switch (kind) {
        case VALID ->
            switch (slot) {
              case 0 -> PRINCIPAL;
              case 1 -> "K1";
              case 2 -> "rid-" + seq;
              case 3 -> LmpHeaders.DEFAULT_METHOD;
              case 4 -> LmpHeaders.DEFAULT_PATH;
              default -> "v";
            };
        case OTHER ->
            switch (slot) {
              case 0 -> "key_bob";
              case 1 -> "K2";
              case 2 -> "rid-shared";
              case 3 -> "GET";
              case 4 -> "/v1/other";
              default -> "w";
            };
        case EMPTY -> "";
        case BLANK -> " \t ";
        case AT_LIMIT -> slot == 4 ? "/" + "p".repeat(limit - 1) : "a".repeat(limit);
        case OVER_LIMIT -> "a".repeat(limit + 1);
        // An idempotency key of control characters: each one is 6 bytes once JSON-escaped.
        case HUGE -> slot == 1 ? "\u0001".repeat(170_000) : "h".repeat(100_000);
        case CONTROL ->
            switch (slot) {
              case 0 -> "key\u0001alice";
              case 1 -> "K\u0007";
              case 2 -> "rid\n" + seq;
              case 3 -> "PO\u0000ST";
              case 4 -> "/v1/posts\r\n";
              default -> "\u0000";
            };
        default -> throw new IllegalStateException(kind.name());
      };
    }

    @Override
    public String toString() {
      return name() + "=" + kind;
    }
  }

  /** Code points of one kind: a piece of a body's content. */
  record Content(int codePoints, int charClass) {
    private static final String[] PIECES = {
      "a", "\uD83D\uDE00", "\"", "\u00e9", "\u0001", "\uD800", "\n", "\u2028", "\\"
    };

    String make() {
      return PIECES[charClass].repeat(codePoints);
    }

    @Override
    public String toString() {
      return codePoints + "x" + String.format("U+%04X", (int) PIECES[charClass].charAt(0));
    }
  }

  /** A command body. */
  sealed interface Body permits Small, RandomBytes, Big, Numbers, Nested {
    byte[] bytes();
  }

  /** A small valid-looking body naming the first {@code targets} of the small accounts. */
  record Small(int targets, String scheduledAt) implements Body {
    @Override
    public byte[] bytes() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      ArrayNode ts = body.putArray("targets");
      SMALL_ACCOUNTS.subList(0, targets).forEach(a -> ts.addObject().put("accountId", a));
      body.put("text", "shipped");
      if (scheduledAt != null) {
        body.put("scheduledAt", scheduledAt);
      }
      return Json.write(body);
    }
  }

  record RandomBytes(byte[] value) implements Body {
    @Override
    public byte[] bytes() {
      return value;
    }

    @Override
    public String toString() {
      return "bytes(" + Arrays.toString(value) + ")";
    }
  }

  /**
   * A body of big fields: {@code targets} sandbox accounts (the first one replaced by a hostile
   * account id if given), text, first comment, {@code media} items, a schedule, unknown fields.
   */
  record Big(
      int targets,
      Content accountId,
      Content text,
      Content firstComment,
      int media,
      Content url,
      Content altText,
      String scheduledAt,
      int unknownFields,
      int unknownNameLength)
      implements Body {
    @Override
    public byte[] bytes() {
      ObjectNode body = Json.MAPPER.createObjectNode();
      ArrayNode ts = body.putArray("targets");
      for (int i = 0; i < targets; i++) {
        ts.addObject()
            .put("accountId", i == 0 && accountId != null ? accountId.make() : "acc_s" + i);
      }
      body.put("text", text.make());
      if (firstComment != null) {
        body.put("firstComment", firstComment.make());
      }
      if (media > 0) {
        ArrayNode ms = body.putArray("media");
        for (int i = 0; i < media; i++) {
          ObjectNode m = ms.addObject().put("url", "https://e.com/" + i + url.make());
          if (altText != null) {
            m.put("altText", altText.make());
          }
        }
      }
      if (scheduledAt != null) {
        body.put("scheduledAt", scheduledAt);
      }
      for (int i = 0; i < unknownFields; i++) {
        body.put(i + "u".repeat(unknownNameLength), i);
      }
      return Json.write(body);
    }
  }

  /** A small body with {@code literal} (a number) as the value of {@code field}. */
  record Numbers(String field, String literal) implements Body {
    @Override
    public byte[] bytes() {
      String members =
          field.equals("targets")
              ? "\"targets\":[" + literal + "],\"text\":\"x\""
              : "\"targets\":[{\"accountId\":\"acc_s0\"}],\"text\":\"x\",\""
                  + field
                  + "\":"
                  + literal;
      return utf8("{" + members + "}");
    }

    @Override
    public String toString() {
      return "numbers(" + field + "=" + Limits.echo(literal) + ")";
    }
  }

  /** A body nested {@code depth} arrays deep at {@code field} (or at the root). */
  record Nested(String field, int depth) implements Body {
    @Override
    public byte[] bytes() {
      String deep = "[".repeat(depth) + "]".repeat(depth);
      return utf8(
          field.isEmpty()
              ? deep
              : "{\"targets\":[{\"accountId\":\"acc_s0\"}],\"text\":\"x\",\""
                  + field
                  + "\":"
                  + deep
                  + "}");
    }
  }

  /** Record timestamps: T0-relative and absolute extremes. */
  static final class Ts {
    static final long[] WILD = {
      T0_MS,
      T0_MS + 1,
      T0_MS + Duration.ofMinutes(1).toMillis(),
      T0_MS - Duration.ofHours(2).toMillis(),
      T0_MS + Duration.ofHours(2).toMillis(),
      T0_MS - Duration.ofDays(30).toMillis(),
      T0_MS + Duration.ofDays(365L * 100).toMillis(),
      0L,
      1L,
      Long.MAX_VALUE / 2,
      Long.MAX_VALUE
    };

    static String describe(long ts) {
      return ts == Long.MAX_VALUE
          ? "Long.MAX_VALUE"
          : ts == Long.MAX_VALUE / 2 ? "Long.MAX_VALUE/2" : "T0" + signed(ts - T0_MS) + "ms";
    }

    private static String signed(long d) {
      return d >= 0 ? "+" + d : Long.toString(d);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Generators.

  private static Arbitrary<Long> caseBits() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.just(0L)),
        Tuple.of(1, Arbitraries.just(-1L)),
        Tuple.of(2, Arbitraries.longs()));
  }

  private static Arbitrary<Kind> hostileKind() {
    return Arbitraries.frequency(
        Tuple.of(8, Kind.VALID),
        Tuple.of(2, Kind.OTHER),
        Tuple.of(1, Kind.EMPTY),
        Tuple.of(1, Kind.BLANK),
        Tuple.of(1, Kind.AT_LIMIT),
        Tuple.of(1, Kind.OVER_LIMIT),
        Tuple.of(1, Kind.HUGE),
        Tuple.of(1, Kind.CONTROL),
        Tuple.of(1, Kind.INVALID_UTF8),
        Tuple.of(1, Kind.NULL));
  }

  private static Arbitrary<HeaderSpec> header(int slot, Arbitrary<Kind> kind) {
    return Combinators.combine(caseBits(), kind).as((bits, k) -> new HeaderSpec(slot, bits, k));
  }

  private static <T> Arbitrary<List<T>> maybe(Arbitrary<T> a, double probability) {
    return Arbitraries.integers()
        .between(0, 99)
        .flatMap(p -> p < probability * 100 ? a.map(List::of) : Arbitraries.just(List.of()));
  }

  /** A principal, maybe a key, a request id, a method and a path, plus up to two extra headers. */
  private static Arbitrary<List<HeaderSpec>> hostileHeaders() {
    Arbitrary<HeaderSpec> any =
        Combinators.combine(Arbitraries.integers().between(0, 5), caseBits(), hostileKind())
            .as(HeaderSpec::new);
    return Combinators.combine(
            maybe(header(0, hostileKind()), 0.95),
            maybe(header(1, hostileKind()), 0.6),
            maybe(header(2, hostileKind()), 0.7),
            maybe(header(3, hostileKind()), 0.2),
            maybe(header(4, hostileKind()), 0.2),
            any.list().ofMaxSize(2))
        .as(
            (p, k, r, m, path, extra) -> {
              List<HeaderSpec> all = new ArrayList<>();
              all.addAll(p);
              all.addAll(k);
              all.addAll(r);
              all.addAll(m);
              all.addAll(path);
              all.addAll(extra);
              return all;
            });
  }

  /** Valid headers in any case: the principal, a unique request id, maybe a key of a pool. */
  private static Arbitrary<List<HeaderSpec>> validHeaders() {
    Arbitrary<Kind> key = Arbitraries.of(Kind.VALID, Kind.OTHER);
    return Combinators.combine(
            header(0, Arbitraries.just(Kind.VALID)),
            header(2, Arbitraries.just(Kind.VALID)),
            maybe(header(1, key), 0.7))
        .as(
            (p, r, k) -> {
              List<HeaderSpec> all = new ArrayList<>(List.of(p, r));
              all.addAll(k);
              return all;
            });
  }

  private static final List<String> SCHEDULES =
      Arrays.asList(
          null,
          "2026-11-29T13:00:00Z",
          "2026-11-30T11:55:00Z",
          "2026-11-30T11:55:00.001Z",
          "2026-11-29T11:00:00Z",
          "+999999999-12-31T23:59:59Z",
          "-999999999-01-01T00:00:00Z",
          "1969-12-31T23:59:59Z",
          "9999-12-31T23:59:59Z");

  private static Arbitrary<String> schedule() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.just((String) null)), Tuple.of(3, Arbitraries.of(SCHEDULES)));
  }

  private static Arbitrary<Content> content(int... sizes) {
    Arbitrary<Integer> size = Arbitraries.of(Arrays.stream(sizes).boxed().toList());
    Arbitrary<Integer> charClass =
        Arbitraries.frequency(
            Tuple.of(6, 0),
            Tuple.of(3, 1),
            Tuple.of(2, 2),
            Tuple.of(1, 3),
            Tuple.of(1, 4),
            Tuple.of(1, 5),
            Tuple.of(1, 6),
            Tuple.of(1, 7),
            Tuple.of(1, 8));
    return Combinators.combine(size, charClass).as(Content::new);
  }

  private static Arbitrary<Body> small() {
    return Combinators.combine(Arbitraries.integers().between(0, SMALL_ACCOUNTS.size()), schedule())
        .as(Small::new);
  }

  private static Arbitrary<Body> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(RandomBytes::new);
  }

  private static Arbitrary<Body> big() {
    Arbitrary<Integer> targets = Arbitraries.of(1, 3, SANDBOX_ACCOUNTS, SANDBOX_ACCOUNTS + 1);
    Arbitrary<Content> accountId =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.just((Content) null)),
            Tuple.of(
                1, content(Limits.MAX_ACCOUNT_ID_CHARS, Limits.MAX_ACCOUNT_ID_CHARS + 1, 200_000)));
    Arbitrary<Content> text =
        content(1, 280, 10_000, Limits.MAX_TEXT_CODE_POINTS, Limits.MAX_TEXT_CODE_POINTS + 1);
    Arbitrary<Content> comment =
        content(1, 10_000, Limits.MAX_FIRST_COMMENT_CODE_POINTS + 1).injectNull(0.4);
    Arbitrary<Integer> media = Arbitraries.of(0, 1, 10, 11);
    Arbitrary<Content> url = content(1, Limits.MAX_URL_CHARS - 16, Limits.MAX_URL_CHARS);
    Arbitrary<Content> alt =
        content(1, Limits.MAX_ALT_TEXT_CODE_POINTS, Limits.MAX_ALT_TEXT_CODE_POINTS + 1)
            .injectNull(0.3);
    Arbitrary<Tuple.Tuple2<Integer, Integer>> unknown =
        Arbitraries.frequencyOf(
            Tuple.of(4, Arbitraries.just(Tuple.of(0, 1))),
            Tuple.of(
                1,
                Combinators.combine(Arbitraries.of(1, 60, 2_000), Arbitraries.of(1, 60_000))
                    .as(Tuple::of)));
    return Combinators.combine(
            Combinators.combine(targets, accountId, text, comment).as(Tuple::of),
            Combinators.combine(media, url, alt, schedule(), unknown).as(Tuple::of))
        .as(
            (a, b) ->
                new Big(
                    a.get1(),
                    a.get2(),
                    a.get3(),
                    a.get4(),
                    b.get1(),
                    b.get2(),
                    b.get3(),
                    b.get4(),
                    b.get5().get1(),
                    b.get5().get2()));
  }

  private static Arbitrary<Body> numbers() {
    return Combinators.combine(
            Arbitraries.of("text", "scheduledAt", "targets", "firstComment", "media"),
            Arbitraries.of(
                "1e999999999",
                "-1e-999999999",
                "9".repeat(999),
                "9".repeat(1_001),
                "-" + "9".repeat(400_000),
                "1.7976931348623157e309",
                "-0"))
        .as(Numbers::new);
  }

  private static Arbitrary<Body> nested() {
    return Combinators.combine(
            Arbitraries.of("", "targets", "text", "media", "scheduledAt"),
            Arbitraries.of(10, 499, 998, 1_000, 1_001, 200_000))
        .as(Nested::new);
  }

  private static Arbitrary<Body> hostileBody() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, big()),
        Tuple.of(1, small()),
        Tuple.of(1, randomBytes()),
        Tuple.of(1, numbers()),
        Tuple.of(1, nested()));
  }

  private static Arbitrary<Long> calmTimestamp() {
    return Arbitraries.longs().between(0, 5_000).map(d -> T0_MS + d);
  }

  private static Arbitrary<Long> wildTimestamp() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, calmTimestamp()),
        Tuple.of(5, Arbitraries.of(Arrays.stream(Ts.WILD).boxed().toList())));
  }

  private static Arbitrary<Step> tick() {
    return Arbitraries.of(
            1_000L,
            61_000L,
            Duration.ofMinutes(5).plusSeconds(1).toMillis(),
            Duration.ofHours(2).toMillis(),
            Duration.ofHours(25).toMillis())
        .map(Tick::new);
  }

  private static Arbitrary<List<Step>> scenario(
      Arbitrary<List<HeaderSpec>> headers,
      Arbitrary<Body> body,
      Arbitrary<Long> ts,
      int tickWeight,
      int maxSteps) {
    Arbitrary<Step> send = Combinators.combine(headers, body, ts).as(Send::new);
    return Arbitraries.frequencyOf(Tuple.of(5, send), Tuple.of(tickWeight, tick()))
        .list()
        .ofMinSize(1)
        .ofMaxSize(maxSteps);
  }

  @Provide
  Arbitrary<List<Step>> headerScenarios() {
    Arbitrary<Body> body =
        Arbitraries.frequencyOf(Tuple.of(5, small()), Tuple.of(1, randomBytes()));
    return scenario(hostileHeaders(), body, calmTimestamp(), 1, 12);
  }

  @Provide
  Arbitrary<List<Step>> bodyScenarios() {
    return scenario(validHeaders(), hostileBody(), calmTimestamp(), 1, 5);
  }

  @Provide
  Arbitrary<List<Step>> timeScenarios() {
    Arbitrary<Body> body = Arbitraries.frequencyOf(Tuple.of(5, small()), Tuple.of(1, big()));
    return scenario(validHeaders(), body, wildTimestamp(), 3, 14);
  }

  @Provide
  Arbitrary<List<Step>> worstCases() {
    // Characters preflight accepts: ASCII, emoji, quote, e-acute, newline, U+2028, backslash.
    Arbitrary<Integer> accepted = Arbitraries.of(0, 1, 2, 3, 6, 7, 8);
    int textLimit = Platform.SANDBOX.textLimit();
    Arbitrary<Body> body =
        Combinators.combine(accepted, accepted, accepted, Arbitraries.of(SCHEDULES.subList(1, 3)))
            .as(
                (text, comment, alt, at) ->
                    new Big(
                        SANDBOX_ACCOUNTS,
                        null,
                        new Content(textLimit, text),
                        new Content(Limits.MAX_FIRST_COMMENT_CODE_POINTS, comment),
                        dev.letmepost.command.Preflight.MAX_MEDIA,
                        new Content(Limits.MAX_URL_CHARS - 16, 0),
                        new Content(Limits.MAX_ALT_TEXT_CODE_POINTS, alt),
                        at,
                        0,
                        1));
    Arbitrary<Step> send = Combinators.combine(validHeaders(), body, calmTimestamp()).as(Send::new);
    return Combinators.combine(send, tick().list().ofMaxSize(2))
        .as(
            (s, ticks) -> {
              List<Step> steps = new ArrayList<>(List.of(s));
              steps.addAll(ticks);
              return steps;
            });
  }

  @Provide
  Arbitrary<List<Step>> mixedScenarios() {
    return scenario(hostileHeaders(), hostileBody(), wildTimestamp(), 2, 8);
  }

  // ---------------------------------------------------------------------------------------------
  // Running a scenario.

  private static void play(List<Step> steps) {
    long start = System.nanoTime();
    long setUp;
    long ran;
    try (LedgerHarness ledger = new LedgerHarness()) {
      setUp = System.nanoTime();
      new Run(ledger).play(steps);
      ran = System.nanoTime();
    }
    if (Boolean.getBoolean("hostile.timing")) {
      System.err.printf(
          "TIMING set-up %d ms, run %d ms, close %d ms, %d steps%n",
          (setUp - start) / 1_000_000,
          (ran - setUp) / 1_000_000,
          (System.nanoTime() - ran) / 1_000_000,
          steps.size());
    }
  }

  /** One scenario against one ledger: what was sent, what came out, and the checks. */
  private static final class Run {
    private final LedgerHarness ledger;
    private final TestInputTopic<byte[], byte[]> commands;
    private final TestOutputTopic<byte[], byte[]> results;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final TestOutputTopic<byte[], byte[]> events;
    private final Map<String, TestOutputTopic<byte[], byte[]>> publish = new TreeMap<>();

    /** The lifecycle events by batch id (the record key), in the order they were written. */
    private final Map<String, List<PostEvent>> eventsByBatch = new LinkedHashMap<>();

    /** Every batch id an answer named. */
    private final java.util.Set<String> answeredBatches = new java.util.TreeSet<>();

    private final CommandSerde serde = new CommandSerde();

    /** Offset of the next command on the commands topic (one partition in the test driver). */
    private int offset;

    /** Request ids of the readable commands sent, and the offsets of the unreadable ones. */
    private final List<String> expectedAnswers = new ArrayList<>();

    private final List<Integer> expectedDeadLetters = new ArrayList<>();
    private final List<String> answers = new ArrayList<>();
    private final List<Integer> dead = new ArrayList<>();
    private final List<String> log = new ArrayList<>();

    Run(LedgerHarness ledger) {
      this.ledger = ledger;
      var driver = ledger.driver;
      var bytes = Serdes.ByteArray();
      commands = driver.createInputTopic(TOPIC, bytes.serializer(), bytes.serializer());
      results =
          driver.createOutputTopic(
              ledger.topics.results().name(), bytes.deserializer(), bytes.deserializer());
      deadLetters =
          driver.createOutputTopic(
              ledger.topics.deadLetters().name(), bytes.deserializer(), bytes.deserializer());
      events =
          driver.createOutputTopic(
              ledger.topics.events().name(), bytes.deserializer(), bytes.deserializer());
      for (Platform p : Platform.values()) {
        String name = ledger.topics.publish(p).name();
        publish.put(
            name, driver.createOutputTopic(name, bytes.deserializer(), bytes.deserializer()));
      }
      ledger
          .account("acc_tw", "twitter")
          .account("acc_li", "linkedin")
          .account("acc_bs", "bluesky");
      for (int i = 0; i < SANDBOX_ACCOUNTS; i++) {
        ledger.account(
            new Account(
                "acc_s" + i, PRINCIPAL, "sandbox", null, Account.Status.connected, null, false));
      }
    }

    void play(List<Step> steps) {
      for (Step step : steps) {
        log.add(step.toString());
        apply(step);
        checkSizes();
      }
      // Past every schedule (at most ttl - deadline ahead) and every deadline after it.
      for (long d :
          new long[] {
            1_000, Duration.ofHours(24).toMillis(), Duration.ofMinutes(6).toMillis(), 60_000
          }) {
        log.add("drain +" + Duration.ofMillis(d));
        apply(new Tick(d));
        checkSizes();
      }
      checkAnswers();
      checkEvents();
    }

    private void apply(Step step) {
      try {
        if (step instanceof Send s) {
          send(s);
        } else if (step instanceof Tick t) {
          ledger.advanceWallClock(Duration.ofMillis(t.millis()));
        }
      } catch (RuntimeException e) {
        throw new AssertionError(
            "exception escaped the topology at step "
                + log.size()
                + ": "
                + Limits.cut(step.toString(), 2_000),
            e);
      }
    }

    private void send(Send s) {
      int seq = offset;
      Headers headers = new RecordHeaders();
      for (HeaderSpec h : s.headers()) {
        headers.add(h.name(), h.value(seq));
      }
      byte[] body = s.body().bytes();
      if (recordSize(null, body, headers) > Limits.COMMANDS_TOPIC_MAX_MESSAGE_BYTES) {
        log.add("  (refused by the broker: over max.message.bytes)");
        return;
      }
      // The oracle of addressability is the command reader itself; what is checked here is that
      // the topology gives each command exactly the one outcome it calls for.
      String source = TOPIC + "/0/" + seq;
      try {
        Command c = CommandReader.read(headers, body, source);
        expectedAnswers.add(c.requestId());
        byte[] repartitioned = serde.serializer().serialize("by-fingerprint", c);
        assertThat(repartitioned.length)
            .as("repartitioned command of step %d", log.size())
            .isLessThanOrEqualTo(Limits.MAX_REQUEST_SIZE);
      } catch (UnreadableCommandException e) {
        expectedDeadLetters.add(seq);
      }
      headers.add(MARKER, utf8(Integer.toString(seq)));
      offset++;
      commands.pipeInput(new TestRecord<>(null, body, headers, s.timestamp()));
    }

    /** Every produced record and every store value is under the record ceiling. */
    private void checkSizes() {
      for (TestRecord<byte[], byte[]> r : results.readRecordsToList()) {
        assertUnderCeiling("results", r);
        answers.add(new String(r.key(), StandardCharsets.UTF_8));
        Header batch = r.headers().lastHeader(LmpHeaders.BATCH_ID);
        if (batch != null) {
          answeredBatches.add(new String(batch.value(), StandardCharsets.UTF_8));
        }
      }
      for (TestRecord<byte[], byte[]> r : deadLetters.readRecordsToList()) {
        assertUnderCeiling("dead-letters", r);
        Header marker = r.headers().lastHeader(MARKER);
        if (marker == null) {
          // Not ParseCommand's dead letter: Kafka Streams' processing exception handler caught an
          // exception in a processor and dead-lettered the record it was processing.
          throw new AssertionError(
              "a processor threw (caught by the processing exception handler, the record"
                  + " dead-lettered, its request never answered): "
                  + streamsError(r.headers())
                  + "; after "
                  + log);
        }
        dead.add(Integer.parseInt(new String(marker.value(), StandardCharsets.UTF_8)));
      }
      for (var e : publish.entrySet()) {
        for (TestRecord<byte[], byte[]> r : e.getValue().readRecordsToList()) {
          assertUnderCeiling(e.getKey(), r);
        }
      }
      for (TestRecord<byte[], byte[]> r : events.readRecordsToList()) {
        assertUnderCeiling("post-events", r);
        PostEvent e = Json.read(r.value(), PostEvent.class);
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.batchId());
        eventsByBatch.computeIfAbsent(e.batchId(), b -> new ArrayList<>()).add(e);
      }
      var driver = ledger.driver;
      WindowStore<String, LedgerRecord> replay = driver.getWindowStore(LedgerTopology.REPLAY_STORE);
      windowed(LedgerTopology.REPLAY_STORE, replay);
      WindowStore<String, RequestEntry> requests =
          driver.getWindowStore(LedgerTopology.REQUEST_INDEX);
      windowed(LedgerTopology.REQUEST_INDEX, requests);
      WindowStore<String, String> batches = driver.getWindowStore(LedgerTopology.BATCH_INDEX);
      windowed(LedgerTopology.BATCH_INDEX, batches);
      KeyValueStore<String, Long> timers = driver.getKeyValueStore(LedgerTopology.TIMER_STORE);
      try (KeyValueIterator<String, Long> it = timers.all()) {
        it.forEachRemaining(
            kv -> assertStoreValue(LedgerTopology.TIMER_STORE, kv.key, Json.write(kv.value)));
      }
    }

    private <V> void windowed(String store, WindowStore<String, V> s) {
      try (KeyValueIterator<Windowed<String>, V> it = s.all()) {
        it.forEachRemaining(
            kv ->
                assertStoreValue(
                    store,
                    kv.key.key(),
                    kv.value instanceof String v ? utf8(v) : Json.write(kv.value)));
      }
    }

    private void assertStoreValue(String store, String key, byte[] value) {
      long size = utf8(key).length + 8L + value.length;
      assertThat(size)
          .as(
              "%s entry %s: %d bytes (%s); after %s",
              store, Limits.echo(key), size, preview(value), this.log)
          .isLessThanOrEqualTo(Limits.MAX_RECORD_BYTES);
    }

    private void assertUnderCeiling(String topic, TestRecord<byte[], byte[]> r) {
      long size = recordSize(r.key(), r.value(), r.headers());
      assertThat(size)
          .as("record on %s: %d bytes (%s); after %s", topic, size, preview(r.value()), this.log)
          .isLessThanOrEqualTo(Limits.MAX_RECORD_BYTES);
    }

    /** Every batch's events tell its whole life once ({@link #checkLifecycle}). */
    private void checkEvents() {
      assertThat(eventsByBatch.keySet())
          .as("batches with events; after %s", log)
          .containsAll(answeredBatches);
      eventsByBatch.forEach((batchId, events) -> checkLifecycle(batchId, events, log));
    }

    /** Every command got exactly its one answer or its one dead letter, nothing else. */
    private void checkAnswers() {
      Map<String, Integer> missing = count(expectedAnswers);
      Map<String, Integer> got = count(answers);
      Map<String, Integer> diffMissing = new TreeMap<>();
      Map<String, Integer> diffExtra = new TreeMap<>();
      for (String k : union(missing, got)) {
        int d = missing.getOrDefault(k, 0) - got.getOrDefault(k, 0);
        if (d > 0) {
          diffMissing.put(Limits.echo(k), d);
        } else if (d < 0) {
          diffExtra.put(Limits.echo(k), -d);
        }
      }
      assertThat(diffMissing).as("requests without their answer; after %s", log).isEmpty();
      assertThat(diffExtra).as("answers nobody asked for (or twice); after %s", log).isEmpty();
      assertThat(dead.stream().sorted().toList())
          .as("dead letters by offset; after %s", log)
          .isEqualTo(expectedDeadLetters);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  /**
   * One batch's lifecycle events, once every batch has completed: {@code batch.accepted} first
   * (then {@code batch.scheduled} if it waited), exactly one {@code target.*} per target, {@code
   * batch.completed} last and once, every id distinct.
   */
  static void checkLifecycle(String batchId, List<PostEvent> events, Object context) {
    List<String> types = events.stream().map(PostEvent::type).toList();
    String what = "events of " + batchId + " " + types + "; after " + context;
    assertThat(types).as(what).isNotEmpty();
    assertThat(types.get(0)).as(what).isEqualTo(PostEvent.BATCH_ACCEPTED);
    assertThat(types.get(types.size() - 1)).as(what).isEqualTo(PostEvent.BATCH_COMPLETED);
    assertThat(types.stream().filter(PostEvent.BATCH_COMPLETED::equals).count())
        .as(what)
        .isEqualTo(1);
    assertThat(types.stream().filter(PostEvent.BATCH_ACCEPTED::equals).count())
        .as(what)
        .isEqualTo(1);
    assertThat(types.indexOf(PostEvent.BATCH_SCHEDULED))
        .as(what)
        .isIn(-1, 1)
        .isEqualTo(types.lastIndexOf(PostEvent.BATCH_SCHEDULED));
    int targets = events.get(0).data().at("/batch/results").size();
    List<Integer> indexes =
        events.stream()
            .filter(e -> e.type().startsWith("target."))
            .map(e -> e.data().get("targetIndex").asInt())
            .sorted()
            .toList();
    assertThat(indexes)
        .as(what)
        .isEqualTo(java.util.stream.IntStream.range(0, targets).boxed().toList());
    assertThat(events).extracting(PostEvent::id).as(what).doesNotHaveDuplicates();
    assertThat(events).extracting(PostEvent::batchId).as(what).containsOnly(batchId);
  }

  private static Map<String, Integer> count(List<String> values) {
    Map<String, Integer> m = new HashMap<>();
    values.forEach(v -> m.merge(v, 1, Integer::sum));
    return m;
  }

  private static List<String> union(Map<String, Integer> a, Map<String, Integer> b) {
    List<String> keys = new ArrayList<>(a.keySet());
    b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(keys::add);
    return keys;
  }

  private static long recordSize(byte[] key, byte[] value, Headers headers) {
    long size = (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
    for (Header h : headers) {
      size += utf8(h.key()).length + (h.value() == null ? 0 : h.value().length);
    }
    return size;
  }

  /** The error headers Kafka Streams' dead-letter queue adds, the stack trace cut. */
  private static String streamsError(Headers headers) {
    StringBuilder b = new StringBuilder();
    for (Header h : headers) {
      if (h.key().startsWith("__streams.errors.") && h.value() != null) {
        String v = new String(h.value(), StandardCharsets.UTF_8);
        b.append(h.key())
            .append('=')
            .append(Limits.cut(v, h.key().endsWith("stacktrace") ? 1_500 : 300))
            .append("; ");
      }
    }
    return b.toString();
  }

  private static String preview(byte[] value) {
    return value == null
        ? "null"
        : Limits.cut(
            new String(value, 0, Math.min(value.length, 300), StandardCharsets.UTF_8), 200);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

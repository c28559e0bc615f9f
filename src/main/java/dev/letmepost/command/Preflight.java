package dev.letmepost.command;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.command.PostRequest.Target;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Validates a post body before anything is recorded or published. It parses the exact bytes once
 * and reports every problem it finds (up to {@link Limits#MAX_FIELD_ERRORS}), each naming its field
 * and the offending value, cut to {@link Limits#MAX_ECHO_CHARS}.
 *
 * <p>Every field is bounded by {@link Limits}, so that whatever the ledger derives from an accepted
 * body fits its record ceiling. {@link #check} never throws, whatever the bytes.
 */
public final class Preflight {
  public static final int MAX_TARGETS = 25;
  public static final int MAX_MEDIA = 10;

  /** The range of a {@code scheduledAt}: what every epoch-millisecond and RFC 3339 form holds. */
  static final Instant EARLIEST_SCHEDULE = Instant.parse("1970-01-01T00:00:00Z");

  static final Instant LATEST_SCHEDULE = Instant.parse("9999-12-31T23:59:59.999Z");

  private static final Set<String> FIELDS =
      Set.of("targets", "text", "media", "firstComment", "scheduledAt");

  /**
   * The project's mapper (strict duplicates, trailing tokens), whose parse errors quote at most
   * {@link Limits#MAX_ECHO_CHARS} characters of an offending token.
   */
  private static final ObjectMapper MAPPER = mapper();

  /** Either a valid request or the list of what is wrong with the body. */
  public record Result(PostRequest request, List<FieldError> errors) {
    public boolean ok() {
      return request != null;
    }
  }

  private Preflight() {}

  private static ObjectMapper mapper() {
    ObjectMapper m = Json.MAPPER.copy();
    m.getFactory()
        .setErrorReportConfiguration(
            ErrorReportConfiguration.builder()
                .maxErrorTokenLength(Limits.MAX_ECHO_CHARS)
                .maxRawContentLength(Limits.MAX_ECHO_CHARS)
                .build());
    return m;
  }

  public static Result check(byte[] body) {
    if (body == null || body.length == 0) {
      return fail(new FieldError("", "empty_body", "the body is empty; expected a JSON object"));
    }
    if (body.length > Limits.MAX_BODY_BYTES) {
      return fail(
          new FieldError(
              "",
              "body_too_large",
              "the body is "
                  + body.length
                  + " bytes; at most "
                  + Limits.MAX_BODY_BYTES
                  + " are allowed"));
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      return malformed(e.getOriginalMessage());
    } catch (IOException | RuntimeException e) {
      return malformed(e.getMessage());
    }
    if (root == null || root.isMissingNode()) {
      return fail(new FieldError("", "empty_body", "the body is empty; expected a JSON object"));
    }
    if (!root.isObject()) {
      return fail(
          new FieldError(
              "",
              "not_an_object",
              "the body must be a JSON object, got " + root.getNodeType().name().toLowerCase()));
    }
    Errors errors = new Errors();
    unknownFields((ObjectNode) root, FIELDS, "", errors);
    List<Target> targets = targets(root.get("targets"), errors);
    String text = optionalString(root, "text", errors);
    if (text != null) {
      content("text", text, Limits.MAX_TEXT_CODE_POINTS, errors);
    }
    List<Media> media = media(root.get("media"), errors);
    JsonNode textNode = root.get("text");
    boolean textUnusable =
        textNode == null
            || textNode.isNull()
            || (textNode.isTextual() && textNode.asText().isBlank());
    if (textUnusable && media.isEmpty()) {
      errors.add(
          "text",
          "required",
          "text must be a non-blank string unless media is given, got " + echo(textNode));
    }
    String firstComment = optionalString(root, "firstComment", errors);
    if (firstComment != null) {
      content("firstComment", firstComment, Limits.MAX_FIRST_COMMENT_CODE_POINTS, errors);
    }
    Instant scheduledAt = scheduledAt(root.get("scheduledAt"), errors);
    if (!errors.isEmpty()) {
      return new Result(null, errors.list());
    }
    return new Result(
        new PostRequest(targets, text == null ? "" : text, media, firstComment, scheduledAt),
        List.of());
  }

  /** Either a valid action body (its {@code scheduledAt}, for a reschedule) or what is wrong. */
  public record ActionResult(Instant scheduledAt, List<FieldError> errors) {
    public ActionResult {
      errors = List.copyOf(errors);
    }

    public boolean ok() {
      return errors.isEmpty();
    }
  }

  /**
   * Checks the body of a batch action (docs/contract.md#batch-actions): a cancel or retry takes an
   * empty body or {@code {}}; a reschedule takes {@code {"scheduledAt": ...}}, with the same
   * timestamp rules as a post's {@code scheduledAt}. Every problem is a field error, as for posts.
   */
  public static ActionResult checkAction(BatchAction.Kind kind, byte[] body) {
    boolean reschedule = kind == BatchAction.Kind.RESCHEDULE;
    if (body == null || body.length == 0) {
      return reschedule
          ? new ActionResult(
              null,
              List.of(
                  new FieldError(
                      "", "empty_body", "the body is empty; expected {\"scheduledAt\": ...}")))
          : new ActionResult(null, List.of());
    }
    if (body.length > Limits.MAX_BODY_BYTES) {
      return new ActionResult(null, check(body).errors());
    }
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      return new ActionResult(null, malformed(e.getOriginalMessage()).errors());
    } catch (IOException | RuntimeException e) {
      return new ActionResult(null, malformed(e.getMessage()).errors());
    }
    if (root == null || root.isMissingNode()) {
      return checkAction(kind, new byte[0]);
    }
    if (!root.isObject()) {
      return new ActionResult(
          null,
          List.of(
              new FieldError(
                  "",
                  "not_an_object",
                  "the body must be a JSON object, got "
                      + root.getNodeType().name().toLowerCase(java.util.Locale.ROOT))));
    }
    Errors errors = new Errors();
    unknownFields((ObjectNode) root, reschedule ? Set.of("scheduledAt") : Set.of(), "", errors);
    Instant at = null;
    if (reschedule) {
      JsonNode node = root.get("scheduledAt");
      if (node == null || node.isNull()) {
        errors.add(
            "scheduledAt",
            "required",
            "scheduledAt is required: the RFC 3339 time to move the batch to");
      } else {
        at = scheduledAt(node, errors);
      }
    }
    return errors.isEmpty()
        ? new ActionResult(at, List.of())
        : new ActionResult(null, errors.list());
  }

  private static Result fail(FieldError error) {
    return new Result(null, List.of(error));
  }

  private static Result malformed(String parserMessage) {
    return fail(
        new FieldError(
            "",
            "malformed_json",
            "the body is not valid JSON: "
                + Limits.cut(String.valueOf(parserMessage), Limits.MAX_PARSER_MESSAGE_CHARS)));
  }

  private static List<Target> targets(JsonNode node, Errors errors) {
    List<Target> targets = new ArrayList<>();
    if (node == null || node.isNull()) {
      errors.add(
          "targets", "required", "targets is required: a list of 1-" + MAX_TARGETS + " targets");
      return targets;
    }
    if (!node.isArray()) {
      errors.add("targets", "not_an_array", "targets must be an array, got " + echo(node));
      return targets;
    }
    if (node.isEmpty()) {
      errors.add("targets", "empty_batch", "targets must hold at least one target");
      return targets;
    }
    if (node.size() > MAX_TARGETS) {
      errors.add(
          "targets",
          "too_many_targets",
          "targets holds " + node.size() + " targets; at most " + MAX_TARGETS + " are allowed");
      return targets;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String field = "targets[" + i + "]";
      JsonNode t = node.get(i);
      if (!t.isObject()) {
        errors.add(field, "not_an_object", field + " must be an object, got " + echo(t));
        continue;
      }
      unknownFields((ObjectNode) t, Set.of("accountId", "platform"), field + ".", errors);
      JsonNode account = t.get("accountId");
      JsonNode platform = t.get("platform");
      if ((account == null) == (platform == null)) {
        errors.add(
            field, "invalid_target", field + " must name exactly one of accountId and platform");
        continue;
      }
      Target target;
      if (account != null) {
        String accountId = accountId(field + ".accountId", account, errors);
        if (accountId == null) {
          continue;
        }
        target = new Target(accountId, null);
      } else {
        Platform p =
            platform.isTextual() && platform.asText().length() <= Limits.MAX_PLATFORM_NAME_CHARS
                ? Platform.byName(platform.asText()).orElse(null)
                : null;
        if (p == null) {
          errors.add(
              field + ".platform",
              "unknown_platform",
              field + ".platform " + echo(platform) + " is not a supported platform");
          continue;
        }
        target = new Target(null, p);
      }
      String identity =
          target.accountId() != null
              ? "account:" + target.accountId()
              : "platform:" + target.platform().wireName();
      if (!seen.add(identity)) {
        errors.add(
            field,
            "duplicate_target",
            field
                + " repeats "
                + (target.accountId() != null
                    ? "account " + target.accountId()
                    : "platform " + target.platform().wireName()));
        continue;
      }
      targets.add(target);
    }
    return targets;
  }

  /**
   * The account id of a target: 1 to {@link Limits#MAX_ACCOUNT_ID_CHARS} printable ASCII
   * characters, not blank (account ids are operator-chosen names such as {@code acc_demo_twitter}).
   */
  private static String accountId(String field, JsonNode account, Errors errors) {
    if (!account.isTextual() || account.asText().isBlank()) {
      errors.add(
          field, "invalid_account_id", field + " must be a non-empty string, got " + echo(account));
      return null;
    }
    String id = account.asText();
    if (id.length() > Limits.MAX_ACCOUNT_ID_CHARS) {
      errors.add(
          field,
          "too_long",
          field
              + " is "
              + id.length()
              + " characters; at most "
              + Limits.MAX_ACCOUNT_ID_CHARS
              + " are allowed, got "
              + echo(account));
      return null;
    }
    int bad = firstOutside(id, 0x20, 0x7e);
    if (bad >= 0) {
      errors.add(
          field,
          "invalid_account_id",
          String.format(
              "%s must be printable ASCII; character %d is U+%04X, got %s",
              field, bad, (int) id.charAt(bad), echo(account)));
      return null;
    }
    return id;
  }

  private static List<Media> media(JsonNode node, Errors errors) {
    List<Media> media = new ArrayList<>();
    if (node == null || node.isNull()) {
      return media;
    }
    if (!node.isArray()) {
      errors.add("media", "not_an_array", "media must be an array, got " + echo(node));
      return media;
    }
    if (node.size() > MAX_MEDIA) {
      errors.add(
          "media",
          "too_many_media",
          "media holds " + node.size() + " items; at most " + MAX_MEDIA + " are allowed");
      return media;
    }
    for (int i = 0; i < node.size(); i++) {
      String field = "media[" + i + "]";
      JsonNode m = node.get(i);
      if (!m.isObject()) {
        errors.add(field, "not_an_object", field + " must be an object, got " + echo(m));
        continue;
      }
      unknownFields((ObjectNode) m, Set.of("url", "altText"), field + ".", errors);
      String url = url(field + ".url", m.get("url"), errors);
      JsonNode alt = m.get("altText");
      boolean altOk = true;
      if (alt != null && !alt.isNull()) {
        if (!alt.isTextual()) {
          errors.add(
              field + ".altText",
              "not_a_string",
              field + ".altText must be a string, got " + echo(alt));
          altOk = false;
        } else {
          altOk =
              content(field + ".altText", alt.asText(), Limits.MAX_ALT_TEXT_CODE_POINTS, errors);
        }
      }
      if (url != null && altOk) {
        media.add(new Media(url, alt == null || alt.isNull() ? null : alt.asText()));
      }
    }
    return media;
  }

  /**
   * A media URL: an absolute http or https URL with a host, at most {@link Limits#MAX_URL_CHARS}
   * characters, ASCII without spaces or control characters (non-ASCII must be percent-encoded).
   */
  private static String url(String field, JsonNode node, Errors errors) {
    if (node == null || !node.isTextual()) {
      errors.add(field, "invalid_url", field + " must be an http(s) URL, got " + echo(node));
      return null;
    }
    String url = node.asText();
    if (url.length() > Limits.MAX_URL_CHARS) {
      errors.add(
          field,
          "too_long",
          field
              + " is "
              + url.length()
              + " characters; at most "
              + Limits.MAX_URL_CHARS
              + " are allowed, got "
              + echo(node));
      return null;
    }
    int bad = firstOutside(url, 0x21, 0x7e);
    if (bad >= 0) {
      errors.add(
          field,
          "invalid_url",
          String.format(
              "%s must be ASCII without spaces or control characters (percent-encode the rest);"
                  + " character %d is U+%04X, got %s",
              field, bad, (int) url.charAt(bad), echo(node)));
      return null;
    }
    if (!isHttpUrl(url)) {
      errors.add(field, "invalid_url", field + " must be an http(s) URL, got " + echo(node));
      return null;
    }
    return url;
  }

  private static boolean isHttpUrl(String s) {
    try {
      URI uri = new URI(s);
      return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
          && uri.getHost() != null;
    } catch (URISyntaxException | RuntimeException e) {
      return false;
    }
  }

  private static String optionalString(JsonNode root, String name, Errors errors) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      errors.add(name, "not_a_string", name + " must be a string, got " + echo(node));
      return null;
    }
    return node.asText();
  }

  /**
   * Checks a piece of post content in one pass: at most {@code maxCodePoints} code points, and no
   * control character but tab, newline and carriage return, nor an unpaired surrogate (which no
   * platform takes and which JSON can only carry escaped). Returns whether it passed.
   */
  private static boolean content(String field, String value, int maxCodePoints, Errors errors) {
    int codePoints = 0;
    int bad = -1;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (bad < 0
          && (Character.isSurrogate(c) || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))) {
        bad = i;
      }
      codePoints++;
    }
    boolean ok = true;
    if (codePoints > maxCodePoints) {
      errors.add(
          field,
          "too_long",
          field + " is " + codePoints + " code points; at most " + maxCodePoints + " are allowed");
      ok = false;
    }
    if (bad >= 0) {
      char c = value.charAt(bad);
      errors.add(
          field,
          "invalid_character",
          Character.isSurrogate(c)
              ? String.format(
                  "%s holds an unpaired surrogate U+%04X at index %d", field, (int) c, bad)
              : String.format(
                  "%s holds the control character U+%04X at index %d; only tab, newline and"
                      + " carriage return are allowed",
                  field, (int) c, bad));
      ok = false;
    }
    return ok;
  }

  private static Instant scheduledAt(JsonNode node, Errors errors) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual() && node.asText().length() <= Limits.MAX_TIMESTAMP_CHARS) {
      Instant at;
      try {
        at = OffsetDateTime.parse(node.asText()).toInstant();
      } catch (DateTimeException e) {
        at = null;
      }
      if (at != null) {
        if (at.isBefore(EARLIEST_SCHEDULE) || at.isAfter(LATEST_SCHEDULE)) {
          errors.add(
              "scheduledAt",
              "invalid_scheduled_at",
              "scheduledAt "
                  + echo(node)
                  + " is outside the supported range "
                  + EARLIEST_SCHEDULE
                  + " to "
                  + LATEST_SCHEDULE);
          return null;
        }
        return at;
      }
    }
    errors.add(
        "scheduledAt",
        "invalid_timestamp",
        "scheduledAt must be an RFC 3339 timestamp such as 2026-12-01T09:00:00Z, got "
            + echo(node));
    return null;
  }

  private static void unknownFields(
      ObjectNode node, Set<String> allowed, String prefix, Errors errors) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        String field = prefix + Limits.echo(name);
        errors.add(field, "unknown_field", "unknown field '" + field + "'");
      }
    }
  }

  /** The index of the first character of {@code s} outside {@code [lo, hi]}, or -1. */
  private static int firstOutside(String s, int lo, int hi) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < lo || c > hi) {
        return i;
      }
    }
    return -1;
  }

  /** A JSON value as an error message shows it: its JSON text, cut. */
  private static String echo(JsonNode node) {
    return Limits.echo(node);
  }

  /**
   * The problems found so far: the first {@link Limits#MAX_FIELD_ERRORS}, then a count of the rest
   * in one {@code too_many_errors} entry.
   */
  private static final class Errors {
    private final List<FieldError> kept = new ArrayList<>();
    private int dropped;

    void add(String field, String code, String message) {
      if (kept.size() < Limits.MAX_FIELD_ERRORS) {
        kept.add(new FieldError(field, code, message));
      } else {
        dropped++;
      }
    }

    boolean isEmpty() {
      return kept.isEmpty();
    }

    List<FieldError> list() {
      if (dropped == 0) {
        return List.copyOf(kept);
      }
      List<FieldError> all = new ArrayList<>(kept);
      all.add(
          new FieldError(
              "",
              "too_many_errors",
              dropped
                  + " more errors were not reported; at most "
                  + Limits.MAX_FIELD_ERRORS
                  + " are listed"));
      return List.copyOf(all);
    }
  }
}

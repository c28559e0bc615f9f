package dev.letmepost.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.command.PostRequest.Target;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Validates a post body before anything is recorded or published. It parses the exact bytes once
 * and reports every problem it finds, each naming its field and the offending value.
 */
public final class Preflight {
  public static final int MAX_TARGETS = 25;
  public static final int MAX_MEDIA = 10;
  private static final Set<String> FIELDS =
      Set.of("targets", "text", "media", "firstComment", "scheduledAt");

  /** Either a valid request or the list of what is wrong with the body. */
  public record Result(PostRequest request, List<FieldError> errors) {
    public boolean ok() {
      return request != null;
    }
  }

  private Preflight() {}

  public static Result check(byte[] body) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      return fail(
          new FieldError(
              "", "malformed_json", "the body is not valid JSON: " + e.getOriginalMessage()));
    } catch (IOException e) {
      return fail(
          new FieldError("", "malformed_json", "the body is not valid JSON: " + e.getMessage()));
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
    List<FieldError> errors = new ArrayList<>();
    unknownFields((ObjectNode) root, FIELDS, "", errors);
    List<Target> targets = targets(root.get("targets"), errors);
    String text = optionalString(root, "text", errors);
    List<Media> media = media(root.get("media"), errors);
    JsonNode textNode = root.get("text");
    boolean textUnusable =
        textNode == null
            || textNode.isNull()
            || (textNode.isTextual() && textNode.asText().isBlank());
    if (textUnusable && media.isEmpty()) {
      errors.add(
          new FieldError(
              "text",
              "required",
              "text must be a non-blank string unless media is given, got " + textNode));
    }
    String firstComment = optionalString(root, "firstComment", errors);
    Instant scheduledAt = scheduledAt(root.get("scheduledAt"), errors);
    if (!errors.isEmpty()) {
      return new Result(null, List.copyOf(errors));
    }
    return new Result(
        new PostRequest(targets, text == null ? "" : text, media, firstComment, scheduledAt),
        List.of());
  }

  private static Result fail(FieldError error) {
    return new Result(null, List.of(error));
  }

  private static List<Target> targets(JsonNode node, List<FieldError> errors) {
    List<Target> targets = new ArrayList<>();
    if (node == null || node.isNull()) {
      errors.add(
          new FieldError(
              "targets",
              "required",
              "targets is required: a list of 1-" + MAX_TARGETS + " targets"));
      return targets;
    }
    if (!node.isArray()) {
      errors.add(
          new FieldError("targets", "not_an_array", "targets must be an array, got " + node));
      return targets;
    }
    if (node.isEmpty()) {
      errors.add(new FieldError("targets", "empty_batch", "targets must hold at least one target"));
      return targets;
    }
    if (node.size() > MAX_TARGETS) {
      errors.add(
          new FieldError(
              "targets",
              "too_many_targets",
              "targets holds "
                  + node.size()
                  + " targets; at most "
                  + MAX_TARGETS
                  + " are allowed"));
      return targets;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < node.size(); i++) {
      String field = "targets[" + i + "]";
      JsonNode t = node.get(i);
      if (!t.isObject()) {
        errors.add(new FieldError(field, "not_an_object", field + " must be an object, got " + t));
        continue;
      }
      unknownFields((ObjectNode) t, Set.of("accountId", "platform"), field + ".", errors);
      JsonNode account = t.get("accountId");
      JsonNode platform = t.get("platform");
      if ((account == null) == (platform == null)) {
        errors.add(
            new FieldError(
                field,
                "invalid_target",
                field + " must name exactly one of accountId and platform"));
        continue;
      }
      Target target;
      if (account != null) {
        if (!account.isTextual() || account.asText().isBlank()) {
          errors.add(
              new FieldError(
                  field + ".accountId",
                  "invalid_account_id",
                  field + ".accountId must be a non-empty string, got " + account));
          continue;
        }
        target = new Target(account.asText(), null);
      } else {
        Platform p = platform.isTextual() ? Platform.byName(platform.asText()).orElse(null) : null;
        if (p == null) {
          errors.add(
              new FieldError(
                  field + ".platform",
                  "unknown_platform",
                  field + ".platform " + platform + " is not a supported platform"));
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
            new FieldError(
                field,
                "duplicate_target",
                field
                    + " repeats "
                    + (target.accountId() != null
                        ? "account " + target.accountId()
                        : "platform " + target.platform().wireName())));
        continue;
      }
      targets.add(target);
    }
    return targets;
  }

  private static List<Media> media(JsonNode node, List<FieldError> errors) {
    List<Media> media = new ArrayList<>();
    if (node == null || node.isNull()) {
      return media;
    }
    if (!node.isArray()) {
      errors.add(new FieldError("media", "not_an_array", "media must be an array, got " + node));
      return media;
    }
    if (node.size() > MAX_MEDIA) {
      errors.add(
          new FieldError(
              "media",
              "too_many_media",
              "media holds " + node.size() + " items; at most " + MAX_MEDIA + " are allowed"));
      return media;
    }
    for (int i = 0; i < node.size(); i++) {
      String field = "media[" + i + "]";
      JsonNode m = node.get(i);
      if (!m.isObject()) {
        errors.add(new FieldError(field, "not_an_object", field + " must be an object, got " + m));
        continue;
      }
      unknownFields((ObjectNode) m, Set.of("url", "altText"), field + ".", errors);
      JsonNode url = m.get("url");
      if (url == null || !url.isTextual() || !isHttpUrl(url.asText())) {
        errors.add(
            new FieldError(
                field + ".url", "invalid_url", field + ".url must be an http(s) URL, got " + url));
        continue;
      }
      JsonNode alt = m.get("altText");
      if (alt != null && !alt.isNull() && !alt.isTextual()) {
        errors.add(
            new FieldError(
                field + ".altText",
                "not_a_string",
                field + ".altText must be a string, got " + alt));
        continue;
      }
      media.add(new Media(url.asText(), alt == null || alt.isNull() ? null : alt.asText()));
    }
    return media;
  }

  private static boolean isHttpUrl(String s) {
    try {
      URI uri = new URI(s);
      return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
          && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static String optionalString(JsonNode root, String name, List<FieldError> errors) {
    JsonNode node = root.get(name);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      errors.add(new FieldError(name, "not_a_string", name + " must be a string, got " + node));
      return null;
    }
    return node.asText();
  }

  private static Instant scheduledAt(JsonNode node, List<FieldError> errors) {
    if (node == null || node.isNull()) {
      return null;
    }
    if (node.isTextual()) {
      try {
        return OffsetDateTime.parse(node.asText()).toInstant();
      } catch (DateTimeParseException e) {
        // fall through to the error below
      }
    }
    errors.add(
        new FieldError(
            "scheduledAt",
            "invalid_timestamp",
            "scheduledAt must be an RFC 3339 timestamp such as 2026-12-01T09:00:00Z, got " + node));
    return null;
  }

  private static void unknownFields(
      ObjectNode node, Set<String> allowed, String prefix, List<FieldError> errors) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!allowed.contains(name)) {
        errors.add(
            new FieldError(
                prefix + name, "unknown_field", "unknown field '" + prefix + name + "'"));
      }
    }
  }
}

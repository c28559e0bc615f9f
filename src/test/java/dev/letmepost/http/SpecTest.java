package dev.letmepost.http;

import static dev.letmepost.http.ApiSpec.ASYNCAPI;
import static dev.letmepost.http.ApiSpec.OPENAPI;
import static dev.letmepost.http.ApiSpec.asyncapiSchema;
import static dev.letmepost.http.ApiSpec.document;
import static dev.letmepost.http.ApiSpec.openapiSchema;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.letmepost.wire.LmpHeaders;
import dev.letmepost.wire.Platform;
import dev.letmepost.wire.Topic;
import dev.letmepost.wire.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The API documents ({@code src/main/resources/openapi.json}, {@code asyncapi.json}) against the
 * code and the docs: every header, topic, record field, status and error code the code has is in a
 * document, every JSON example of the README and docs/*.md validates against its schema. Each
 * comparison also runs on a made-up mismatch to show that it fails. The routes and the gateway's
 * real answers are checked in {@code gateway.GatewaySpecTest}, the ledger's real records in {@code
 * ledger.LedgerSpecTest}.
 */
class SpecTest {
  /*
   * The code side of each comparison is read from the code itself: constants by reflection, record
   * components by reflection, header literals and status/code pairs by scanning src/main/java (a
   * header set with a string literal, or an error answered with a literal status and code, has no
   * constant to reflect on). The doc side is read from the documents; the status table of
   * docs/http-api.md is a second source of status codes.
   */
  static final Path MAIN = Path.of("src/main/java/dev/letmepost");
  static final Path CLASSES = Path.of("target/classes/dev/letmepost");

  // ---- the documents ----

  @Test
  void documentsAreOpenApi31AndAsyncApi3WithDraft202012Schemas() {
    assertThat(document(OPENAPI).path("openapi").asText()).isEqualTo("3.1.0");
    assertThat(document(OPENAPI).path("jsonSchemaDialect").asText())
        .isEqualTo("https://json-schema.org/draft/2020-12/schema");
    assertThat(document(ASYNCAPI).path("asyncapi").asText()).isEqualTo("3.0.0");
    for (JsonNode m : document(ASYNCAPI).path("components").path("messages")) {
      assertThat(m.path("payload").path("schemaFormat").asText())
          .as("payload format of message %s", m.path("name").asText())
          .isEqualTo("application/schema+json;version=draft-2020-12");
    }
  }

  @Test
  void everySchemaOfBothDocumentsCompilesAndResolvesItsReferences() {
    for (String doc : List.of(OPENAPI, ASYNCAPI)) {
      for (Map.Entry<String, JsonNode> s :
          ApiSpec.fields(document(doc).path("components").path("schemas"))) {
        // Validating forces every $ref to resolve; an unresolvable one throws.
        ApiSpec.validate(doc + "#/components/schemas/" + s.getKey(), "{}");
      }
    }
  }

  @Test
  void everyInternalReferenceOfBothDocumentsPointsAtANode() {
    for (String doc : List.of(OPENAPI, ASYNCAPI)) {
      List<String> refs = new ArrayList<>();
      collectRefs(document(doc), refs);
      assertThat(refs).isNotEmpty();
      for (String ref : refs) {
        String target = ref.startsWith("#") ? doc + ref : ref;
        assertThat(ApiSpec.resolve(target)).as("%s in %s", ref, doc).isNotNull();
      }
    }
  }

  private static void collectRefs(JsonNode n, List<String> out) {
    if (n.isObject()) {
      JsonNode r = n.get("$ref");
      if (r != null && r.isTextual()) {
        out.add(r.asText());
      }
    }
    n.forEach(c -> collectRefs(c, out));
  }

  // ---- headers ----

  /** Every header name the HTTP side of the code uses: constants and literals. */
  static Set<String> httpHeadersOfTheCode() {
    Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    names.addAll(ApiSpec.constants(ApiHeaders.class, f -> !f.equals("JSON")));
    for (String pkg : List.of("gateway", "webhook", "http")) {
      names.addAll(headerConstants(pkg));
      names.addAll(
          scan(
              pkg,
              Pattern.compile(
                  "(?:\\.header|headers\\.put|\\.setHeader|\\.addHeader)\\(\\s*\"([A-Za-z][A-Za-z0-9-]*)\"")));
    }
    return names;
  }

  /**
   * Every record header name of the code: LmpHeaders, the packages' *HEADER constants, literals.
   */
  static Set<String> recordHeadersOfTheCode() {
    Set<String> names = new TreeSet<>();
    names.addAll(ApiSpec.constants(LmpHeaders.class, f -> !f.startsWith("DEFAULT_")));
    for (String pkg : List.of("wire", "ledger", "command", "publish")) {
      names.addAll(headerConstants(pkg));
      names.addAll(scan(pkg, Pattern.compile("headers\\.add\\(\\s*\"([^\"]+)\"")));
    }
    return names;
  }

  /** Header names the OpenAPI document declares: parameters in a header, response headers. */
  static Set<String> openapiHeaders() {
    Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    collectOpenapiHeaders(document(OPENAPI), names);
    for (JsonNode s : document(OPENAPI).path("components").path("securitySchemes")) {
      if (s.path("type").asText().equals("http")) {
        names.add(ApiHeaders.AUTHORIZATION);
      }
    }
    return names;
  }

  private static void collectOpenapiHeaders(JsonNode n, Set<String> out) {
    if (n.isObject()) {
      if (n.path("in").asText().equals("header") && n.has("name")) {
        out.add(n.get("name").asText());
      }
      JsonNode headers = n.get("headers");
      if (headers != null && headers.isObject() && (n.has("description") || n.has("content"))) {
        headers.fieldNames().forEachRemaining(out::add);
      }
    }
    n.forEach(c -> collectOpenapiHeaders(c, out));
  }

  /** Header names the AsyncAPI document declares on any message. */
  static Set<String> asyncapiHeaders() {
    Set<String> names = new TreeSet<>();
    for (JsonNode m : document(ASYNCAPI).path("components").path("messages")) {
      m.path("headers").path("properties").fieldNames().forEachRemaining(names::add);
    }
    return names;
  }

  @Test
  void everyHttpHeaderOfTheCodeIsInTheOpenApiDocument() {
    Set<String> code = httpHeadersOfTheCode();
    assertThat(code)
        .contains(
            "Idempotency-Key",
            "Lmp-Request-Id",
            "Lmp-Forwarded",
            "WWW-Authenticate",
            "Lmp-Signature",
            "Lmp-Event-Id",
            "Lmp-Event-Type",
            "Lmp-Delivery-Attempt");
    assertThat(ApiSpec.missing(code, openapiHeaders(), true)).isEmpty();
  }

  @Test
  void everyRecordHeaderOfTheCodeIsInTheAsyncApiDocument() {
    Set<String> code = recordHeadersOfTheCode();
    assertThat(code)
        .contains(
            "lmp-principal",
            "lmp-status",
            "lmp-error-offset",
            "lmp-ledger-tick",
            "lmp-event-type",
            "lmp-error-truncated-from");
    assertThat(ApiSpec.missing(code, asyncapiHeaders(), false)).isEmpty();
  }

  @Test
  void headerComparisonNamesAHeaderTheDocumentsLack() {
    Set<String> http = new TreeSet<>(httpHeadersOfTheCode());
    http.add("Lmp-Made-Up");
    assertThat(ApiSpec.missing(http, openapiHeaders(), true)).containsExactly("Lmp-Made-Up");
    Set<String> wire = new TreeSet<>(recordHeadersOfTheCode());
    wire.add("lmp-made-up");
    assertThat(ApiSpec.missing(wire, asyncapiHeaders(), false)).containsExactly("lmp-made-up");
  }

  @Test
  void commandAndResultHeadersAreOnTheirOwnMessages() {
    JsonNode messages = document(ASYNCAPI).path("components").path("messages");
    Set<String> command = new TreeSet<>();
    messages
        .path("PostCommand")
        .path("headers")
        .path("properties")
        .fieldNames()
        .forEachRemaining(command::add);
    assertThat(command)
        .containsExactlyInAnyOrder(
            LmpHeaders.PRINCIPAL,
            LmpHeaders.IDEMPOTENCY_KEY,
            LmpHeaders.REQUEST_ID,
            LmpHeaders.METHOD,
            LmpHeaders.PATH);
    Set<String> result = new TreeSet<>();
    messages
        .path("PostResult")
        .path("headers")
        .path("properties")
        .fieldNames()
        .forEachRemaining(result::add);
    assertThat(result)
        .containsExactlyInAnyOrder(
            LmpHeaders.REQUEST_ID,
            LmpHeaders.STATUS,
            LmpHeaders.REPLAYED,
            LmpHeaders.IDEMPOTENCY_KEY,
            LmpHeaders.BATCH_ID,
            LmpHeaders.KEY_EXPIRES);
  }

  @Test
  void everyEventTypeOfTheCodeIsInTheEventTypeEnumAndNoneIsMadeUp() {
    Set<String> code =
        new TreeSet<>(ApiSpec.constants(dev.letmepost.wire.PostEvent.class, f -> true));
    code.addAll(dev.letmepost.webhook.EventTypes.ALL);
    Set<String> spec = new TreeSet<>();
    document(OPENAPI).at("/components/schemas/EventType/enum").forEach(t -> spec.add(t.asText()));
    assertThat(code).contains("batch.accepted", "target.unknown");
    assertThat(ApiSpec.missing(code, spec, false)).isEmpty();
    assertThat(ApiSpec.missing(spec, code, false)).isEmpty();
    code.add("batch.made_up");
    assertThat(ApiSpec.missing(code, spec, false)).containsExactly("batch.made_up");
  }

  // ---- topics ----

  /** Every topic address of the AsyncAPI document, {@code {platform}} expanded. */
  static Map<String, JsonNode> channels() {
    Map<String, JsonNode> out = new TreeMap<>();
    JsonNode platforms = document(ASYNCAPI).path("components").path("parameters").path("platform");
    for (JsonNode c : document(ASYNCAPI).path("channels")) {
      String address = c.path("address").asText();
      if (address.contains("{platform}")) {
        for (JsonNode p : platforms.path("enum")) {
          out.put(address.replace("{platform}", p.asText()), c);
        }
      } else {
        out.put(address, c);
      }
    }
    return out;
  }

  static Set<String> topicsOfTheCode() {
    Set<String> names = new TreeSet<>();
    Topics.defaults().all().stream().map(Topic::name).forEach(names::add);
    return names;
  }

  @Test
  void everyTopicOfTheRegistryIsAChannelAndNoChannelIsMadeUp() {
    Set<String> code = topicsOfTheCode();
    assertThat(code).hasSize(10 + 2 * Platform.values().length);
    assertThat(ApiSpec.missing(code, channels().keySet(), false)).isEmpty();
    assertThat(ApiSpec.missing(channels().keySet(), code, false)).isEmpty();
  }

  @Test
  void topicComparisonNamesATopicTheDocumentLacks() {
    Set<String> code = new TreeSet<>(topicsOfTheCode());
    code.add("lmp.made-up");
    assertThat(ApiSpec.missing(code, channels().keySet(), false)).containsExactly("lmp.made-up");
  }

  /** A topic's configs that its channel's Kafka binding does not state ("k=v" each). */
  static Set<String> configsMissing(Topic<?, ?> topic, JsonNode channel) {
    JsonNode kafka = channel.path("bindings").path("kafka");
    Set<String> stated = new TreeSet<>();
    for (String section : List.of("topicConfiguration", "x-configs")) {
      for (Map.Entry<String, JsonNode> e : ApiSpec.fields(kafka.path(section))) {
        JsonNode v = e.getValue();
        stated.add(e.getKey() + "=" + (v.isArray() ? String.join(",", texts(v)) : v.asText()));
      }
    }
    Set<String> missing = new TreeSet<>();
    topic
        .configs()
        .forEach(
            (k, v) -> {
              if (!stated.contains(k + "=" + v)) {
                missing.add(k + "=" + v);
              }
            });
    return missing;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }

  @Test
  void everyTopicConfigOfTheRegistryIsInItsChannelBinding() {
    Map<String, JsonNode> channels = channels();
    for (Topic<?, ?> t : Topics.defaults().all()) {
      assertThat(configsMissing(t, channels.get(t.name()))).as("configs of %s", t.name()).isEmpty();
    }
    Topic<?, ?> changed =
        new Topic<>(
            "lmp.accounts",
            org.apache.kafka.common.serialization.Serdes.String(),
            org.apache.kafka.common.serialization.Serdes.String(),
            Map.of("cleanup.policy", "compact", "retention.ms", "1"));
    assertThat(configsMissing(changed, channels.get("lmp.accounts")))
        .containsExactly("retention.ms=1");
  }

  // ---- records and schemas ----

  /** The schema of each body record of the code: HTTP bodies, wire records, stored values. */
  static final Map<String, String> SCHEMA_OF = schemaOf();

  private static Map<String, String> schemaOf() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("dev.letmepost.http.Envelope", openapiSchema("Envelope"));
    m.put("dev.letmepost.http.Envelope$Result", openapiSchema("EnvelopeResult"));
    m.put("dev.letmepost.http.ErrorBody", openapiSchema("ErrorBody"));
    m.put("dev.letmepost.http.ErrorBody$Error", openapiSchema("ErrorDetail"));
    m.put("dev.letmepost.http.PendingRequest", openapiSchema("PendingRequest"));
    m.put("dev.letmepost.http.Validation", openapiSchema("Validation"));
    m.put("dev.letmepost.http.Validation$Result", openapiSchema("ValidationResult"));
    m.put("dev.letmepost.command.FieldError", openapiSchema("FieldError"));
    m.put("dev.letmepost.command.PostRequest", openapiSchema("PostRequest"));
    m.put("dev.letmepost.command.PostRequest$Target", openapiSchema("PostTarget"));
    m.put("dev.letmepost.gateway.KeyView", openapiSchema("KeyView"));
    m.put("dev.letmepost.gateway.Gateway$NotReady", openapiSchema("Readiness"));
    m.put("dev.letmepost.gateway.WebhookRoutes$ListBody", openapiSchema("WebhookEndpointList"));
    m.put("dev.letmepost.gateway.WebhookRoutes$Deleted", openapiSchema("WebhookEndpointDeleted"));
    m.put("dev.letmepost.webhook.WebhookStore$Request", openapiSchema("WebhookEndpointCreate"));
    m.put("dev.letmepost.webhook.EndpointView", openapiSchema("WebhookEndpointView"));
    m.put("dev.letmepost.webhook.DeliveryAttempt", openapiSchema("DeliveryAttempt"));
    m.put("dev.letmepost.webhook.WebhookBody", openapiSchema("WebhookBody"));
    m.put("dev.letmepost.wire.TargetError", openapiSchema("TargetError"));
    m.put("dev.letmepost.wire.PublishTask", asyncapiSchema("PublishTask"));
    m.put("dev.letmepost.wire.PublishTask$Media", asyncapiSchema("PublishTaskMedia"));
    m.put("dev.letmepost.wire.TargetOutcome", asyncapiSchema("TargetOutcome"));
    m.put("dev.letmepost.wire.PostEvent", asyncapiSchema("PostEvent"));
    m.put("dev.letmepost.wire.Account", asyncapiSchema("Account"));
    m.put("dev.letmepost.gateway.ApiKeyRecord", asyncapiSchema("ApiKeyRecord"));
    m.put("dev.letmepost.publish.JournalEntry", asyncapiSchema("JournalEntry"));
    m.put("dev.letmepost.webhook.WebhookEndpoint", asyncapiSchema("WebhookEndpoint"));
    m.put("dev.letmepost.webhook.PendingDelivery", asyncapiSchema("PendingDelivery"));
    return m;
  }

  /**
   * Records of the contract packages that are no body: each with why. Every other record of {@code
   * wire} and {@code http} must have a schema in {@link #SCHEMA_OF}.
   */
  static final Map<String, String> NOT_A_BODY =
      Map.of(
          "dev.letmepost.wire.Topic",
          "a topic's name, serdes and configs: the channels",
          "dev.letmepost.wire.PlatformCapabilities",
          "what a platform takes, a table in the code; never serialized");

  /** The fields of {@code record} that the schema at {@code ref} lacks, and the reverse. */
  static Map<String, Set<String>> fieldDifferences(Class<?> record, String ref) {
    Set<String> code = ApiSpec.components(record);
    Set<String> spec = ApiSpec.properties(ref);
    Map<String, Set<String>> out = new TreeMap<>();
    Set<String> notInSpec = ApiSpec.missing(code, spec, false);
    Set<String> notInCode = ApiSpec.missing(spec, code, false);
    if (!notInSpec.isEmpty()) {
      out.put("in the code, not in " + ref, notInSpec);
    }
    if (!notInCode.isEmpty()) {
      out.put("in " + ref + ", not in the code", notInCode);
    }
    return out;
  }

  @Test
  void everyBodyRecordHasExactlyItsSchemasProperties() throws ClassNotFoundException {
    for (Map.Entry<String, String> e : SCHEMA_OF.entrySet()) {
      assertThat(fieldDifferences(Class.forName(e.getKey()), e.getValue()))
          .as("%s against %s", e.getKey(), e.getValue())
          .isEmpty();
    }
  }

  @Test
  void everyRecordOfTheContractPackagesHasASchema() throws IOException, ClassNotFoundException {
    List<String> records = new ArrayList<>();
    for (String pkg : List.of("wire", "http")) {
      for (Class<?> c : classes(pkg)) {
        if (c.isRecord()) {
          records.add(c.getName());
        }
      }
    }
    assertThat(records).contains("dev.letmepost.wire.PublishTask", "dev.letmepost.http.Envelope");
    assertThat(records)
        .allSatisfy(
            r -> assertThat(SCHEMA_OF.containsKey(r) || NOT_A_BODY.containsKey(r)).as(r).isTrue());
  }

  /** A record as it might grow: one field more than the envelope's schema, one fewer. */
  record GrownEnvelope(
      String id,
      String object,
      String status,
      String createdAt,
      String scheduledAt,
      String canceledAt,
      String retryOf,
      List<String> retries,
      List<?> results,
      String archivedAt) {}

  @Test
  void fieldComparisonNamesAFieldTheSchemaLacksAndOneItHasTooMany() {
    assertThat(fieldDifferences(GrownEnvelope.class, openapiSchema("Envelope")))
        .containsOnly(
            Map.entry(
                "in the code, not in openapi.json#/components/schemas/Envelope",
                Set.of("archivedAt")),
            Map.entry(
                "in openapi.json#/components/schemas/Envelope, not in the code",
                Set.of("completedAt")));
  }

  // ---- statuses and error codes ----

  /** Each (status, error code) the OpenAPI document declares, as "404 batch_not_found". */
  static Set<String> declaredErrors() {
    Set<String> out = new TreeSet<>();
    collectDeclaredErrors(document(OPENAPI), null, out);
    return out;
  }

  private static void collectDeclaredErrors(JsonNode n, String status, Set<String> out) {
    if (!n.isObject()) {
      n.forEach(c -> collectDeclaredErrors(c, status, out));
      return;
    }
    for (Map.Entry<String, JsonNode> e : ApiSpec.fields(n)) {
      String key = e.getKey();
      JsonNode v = e.getValue();
      if (key.equals("x-error-codes")) {
        v.forEach(code -> out.add(status + " " + code.asText()));
      } else if (key.matches("[1-5][0-9]{2}")) {
        JsonNode response = ApiSpec.deref(OPENAPI, v);
        collectDeclaredErrors(response, key, out);
      } else {
        collectDeclaredErrors(v, status, out);
      }
    }
  }

  /** Each error code the document declares under any status. */
  static Set<String> declaredCodes() {
    Set<String> out = new TreeSet<>();
    declaredErrors().forEach(e -> out.add(e.substring(4)));
    return out;
  }

  /** "status code" pairs answered with literals in the gateway, the webhooks and the ledger. */
  static Set<String> errorsOfTheCode() {
    Set<String> out = new TreeSet<>();
    Pattern pair =
        Pattern.compile("\\b([1-5][0-9]{2})\\s*,\\s*\"([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\"");
    for (String pkg : List.of("gateway", "webhook", "ledger", "http")) {
      for (String source : sources(pkg)) {
        Matcher m = pair.matcher(source);
        while (m.find()) {
          out.add(m.group(1) + " " + m.group(2));
        }
      }
    }
    return out;
  }

  /**
   * Error codes the ledger and gateway write without a literal status next to them: the first
   * argument of {@code Answers.error} / {@code ErrorBody.of}, and any snake_case literal directly
   * followed by a message literal (the ledger's refusals, and its field errors).
   */
  static Set<String> codesOfTheCode() {
    Pattern code =
        Pattern.compile(
            "(?:Answers\\.error|ErrorBody\\.of)\\(\\s*\"([a-z_]+)\"|\"([a-z]+(?:_[a-z]+)+)\",\\s*\"");
    Set<String> out = new TreeSet<>();
    for (String pkg : List.of("gateway", "ledger")) {
      for (String source : sources(pkg)) {
        Matcher m = code.matcher(source);
        while (m.find()) {
          out.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
      }
    }
    return out;
  }

  /** The error codes, field error codes and target error codes the OpenAPI document declares. */
  static Set<String> declaredCodesAndFieldCodes() {
    Set<String> out = declaredCodes();
    document(OPENAPI)
        .at("/components/schemas/FieldError/properties/code/enum")
        .forEach(c -> out.add(c.asText()));
    document(OPENAPI)
        .at("/components/schemas/TargetError/properties/code/examples")
        .forEach(c -> out.add(c.asText()));
    return out;
  }

  /**
   * The "Status codes" table of docs/http-api.md as "status code" pairs: the status and code of the
   * first cell, or, for a row that gives a status alone, each error code the second cell names.
   */
  static Set<String> statusTableErrors() {
    String page = read(Path.of("docs/http-api.md"));
    int start = page.indexOf("\n## Status codes\n");
    assertThat(start).as("docs/http-api.md's Status codes section").isNotNegative();
    int end = page.indexOf("\n## ", start + 5);
    Set<String> out = new TreeSet<>();
    Pattern cellPair = Pattern.compile("`([1-5][0-9]{2})(?: ([a-z_]+))?`");
    Pattern code = Pattern.compile("`([a-z]+(?:_[a-z]+)+)`");
    for (String line : page.substring(start, end < 0 ? page.length() : end).split("\n")) {
      String[] cells = line.split("\\|");
      if (cells.length < 3 || !cells[1].contains("`")) {
        continue;
      }
      Matcher m = cellPair.matcher(cells[1]);
      while (m.find()) {
        if (m.group(2) != null) {
          out.add(m.group(1) + " " + m.group(2));
        } else if (!m.group(1).startsWith("2")) {
          Matcher c = code.matcher(cells[2]);
          while (c.find()) {
            out.add(m.group(1) + " " + c.group(1));
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyStatusAndErrorCodeTheCodeAnswersIsInTheOpenApiDocument() {
    Set<String> code = errorsOfTheCode();
    assertThat(code)
        .contains("404 route_not_found", "400 url_not_allowed", "409 too_many_endpoints");
    assertThat(ApiSpec.missing(code, declaredErrors(), false)).isEmpty();
    Set<String> codes = codesOfTheCode();
    assertThat(codes)
        .contains("idempotency_conflict", "ledger_behind", "unauthorized", "batch_not_cancelable");
    assertThat(ApiSpec.missing(codes, declaredCodesAndFieldCodes(), false)).isEmpty();
  }

  @Test
  void everyStatusAndErrorCodeOfTheHttpApiStatusTableIsInTheOpenApiDocument() {
    Set<String> table = statusTableErrors();
    assertThat(table)
        .contains("400 invalid_idempotency_key", "404 batch_not_found", "431 headers_too_large");
    assertThat(ApiSpec.missing(table, declaredErrors(), false)).isEmpty();
  }

  @Test
  void errorComparisonNamesAStatusAndCodeTheDocumentLacks() {
    Set<String> code = new TreeSet<>(errorsOfTheCode());
    code.add("418 made_up");
    code.add("400 route_not_found");
    assertThat(ApiSpec.missing(code, declaredErrors(), false))
        .containsExactly("400 route_not_found", "418 made_up");
  }

  // ---- examples ----

  /** A value that an example elides: `…` where a value stands, or a string "<...>". */
  static final String ELIDED = "<elided>";

  /** One JSON example of a document: where it is and its text. */
  record Example(String where, String json) {}

  /**
   * Every JSON body shown in the README and docs/*.md: each value of a {@code json} block, each
   * line starting with '{' in an {@code http} or {@code console} block, and each here-document body
   * of a {@code sh} block.
   */
  static List<Example> examples() throws IOException {
    List<Path> files = new ArrayList<>(List.of(Path.of("README.md")));
    try (Stream<Path> docs = Files.list(Path.of("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Example> out = new ArrayList<>();
    for (Path f : files) {
      out.addAll(examples(f.toString(), read(f)));
    }
    return out;
  }

  static List<Example> examples(String file, String markdown) {
    List<Example> out = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String fence = lines[i].strip();
      if (!fence.startsWith("```") || fence.length() == 3) {
        continue;
      }
      String lang = fence.substring(3).strip();
      int start = i + 1;
      int end = start;
      while (end < lines.length && !lines[end].strip().equals("```")) {
        end++;
      }
      List<String> block = Arrays.asList(lines).subList(start, end);
      String where = file + ":" + (start + 1);
      switch (lang) {
        case "json" -> out.addAll(jsonValues(where, String.join("\n", block)));
        case "http", "console" -> {
          for (int j = 0; j < block.size(); j++) {
            if (block.get(j).startsWith("{")) {
              out.add(new Example(file + ":" + (start + j + 1), unelide(block.get(j))));
            }
          }
        }
        case "sh" -> {
          for (int j = 0; j < block.size(); j++) {
            if (block.get(j).strip().endsWith("<<EOF")) {
              int k = j + 1;
              while (k < block.size() && !block.get(k).strip().equals("EOF")) {
                k++;
              }
              out.add(
                  new Example(
                      file + ":" + (start + j + 2),
                      unelide(String.join("\n", block.subList(j + 1, k)))));
              j = k;
            }
          }
        }
        default -> {}
      }
      i = end;
    }
    return out;
  }

  private static List<Example> jsonValues(String where, String text) {
    List<Example> out = new ArrayList<>();
    String json = unelide(text);
    try (MappingIterator<JsonNode> it =
        new ObjectMapper().readerFor(JsonNode.class).readValues(json)) {
      while (it.hasNext()) {
        out.add(new Example(where, it.next().toString()));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "the json block at " + where + " is not JSON: " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * {@code json} with its elisions made JSON: a bare `…` after a comma before a closing bracket
   * (more items) is dropped; a bare `…` where a value stands, and a string that is only a {@code
   * <placeholder>}, become {@value #ELIDED}, whose errors {@link #problems} ignores.
   */
  static String unelide(String json) {
    StringBuilder out = new StringBuilder();
    boolean inString = false;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        out.append(c);
        if (c == '\\') {
          out.append(json.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        int close = json.indexOf('"', i + 1);
        String s = json.substring(i + 1, close);
        if (s.matches("<[^<>\"]+>")) {
          out.append('"').append(ELIDED).append('"');
          i = close;
        } else {
          inString = true;
          out.append(c);
        }
      } else if (c == '…') {
        String rest = json.substring(i + 1).stripLeading();
        String before = out.toString().stripTrailing();
        if (before.endsWith(",") && (rest.startsWith("]") || rest.startsWith("}"))) {
          out.setLength(before.length() - 1);
        } else if (before.endsWith("[") && rest.startsWith("]")) {
          out.setLength(before.length());
        } else if (before.endsWith("{") && rest.startsWith("}")) {
          out.setLength(before.length() - 1);
          out.append('"').append(ELIDED).append('"');
          i = json.indexOf('}', i);
        } else {
          out.append('"').append(ELIDED).append('"');
        }
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** The schema an example body is an instance of, by what it holds; null for none known. */
  static String schemaOfExample(JsonNode n) {
    String object = n.path("object").asText();
    if (n.has("error") && n.size() == 1) {
      return openapiSchema("ErrorBody");
    }
    switch (object) {
      case "batch":
        return openapiSchema("Envelope");
      case "request":
        return openapiSchema("PendingRequest");
      case "validation":
        return openapiSchema("Validation");
      case "idempotency_key":
        return openapiSchema("KeyView");
      case "webhook_endpoint":
        return openapiSchema(n.has("deleted") ? "WebhookEndpointDeleted" : "WebhookEndpointView");
      case "list":
        return openapiSchema(
            n.path("data").path(0).has("eventId") ? "DeliveryList" : "WebhookEndpointList");
      default:
        break;
    }
    if (n.has("targets")) {
      return openapiSchema("PostRequest");
    }
    if (n.has("platformIdempotencyKey")) {
      return asyncapiSchema("PublishTask");
    }
    if (n.has("taskId") && n.has("status")) {
      return asyncapiSchema("TargetOutcome");
    }
    if (n.has("type") && n.has("data")) {
      return n.has("principal") ? asyncapiSchema("PostEvent") : openapiSchema("WebhookBody");
    }
    if (n.has("tick")) {
      return asyncapiSchema("LedgerTick");
    }
    if (n.has("url") && n.has("events")) {
      return openapiSchema("WebhookEndpointCreate");
    }
    if (n.has("accountId") && n.has("principal")) {
      return asyncapiSchema("Account");
    }
    if (n.has("principal") && n.has("status") && n.has("createdAt")) {
      return asyncapiSchema("ApiKeyRecord");
    }
    if (n.has("status") && n.size() <= 2) {
      return openapiSchema("Readiness");
    }
    return null;
  }

  /** What is wrong with an example: no known schema, or its validation errors (elisions aside). */
  static List<String> problems(Example e) {
    JsonNode n = ApiSpec.tree(e.json());
    String schema = schemaOfExample(n);
    if (schema == null) {
      return List.of(e.where() + ": a JSON example of no known body: " + e.json());
    }
    return ApiSpec.validateIgnoring(schema, e.json(), "\"" + ELIDED + "\"").stream()
        .map(p -> e.where() + " (" + schema + "): " + p)
        .toList();
  }

  @Test
  void everyJsonExampleOfTheReadmeAndDocsValidatesAgainstItsSchema() throws IOException {
    List<Example> examples = examples();
    assertThat(examples.stream().map(e -> schemaOfExample(ApiSpec.tree(e.json()))))
        .contains(
            openapiSchema("PostRequest"),
            openapiSchema("Envelope"),
            openapiSchema("ErrorBody"),
            asyncapiSchema("PublishTask"),
            asyncapiSchema("TargetOutcome"));
    assertThat(examples.stream().flatMap(e -> problems(e).stream())).isEmpty();
  }

  @Test
  void exampleCheckFailsOnABodyTheSchemaRefusesAndOnABodyOfNoKnownKind() {
    String markdown =
        "text\n```json\n{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"archived\",\"results\":[…]}\n```\n"
            + "```http\nHTTP/1.1 200 OK\n\n{\"colour\":\"blue\"}\n```\n";
    List<Example> examples = examples("FIXTURE.md", markdown);
    assertThat(examples).hasSize(2);
    assertThat(problems(examples.get(0)))
        .singleElement()
        .asString()
        .startsWith("FIXTURE.md:3 (openapi.json#/components/schemas/Envelope)")
        .contains("status");
    assertThat(problems(examples.get(1)))
        .containsExactly("FIXTURE.md:8: a JSON example of no known body: {\"colour\":\"blue\"}");
  }

  @Test
  void elisionsAreDroppedOrIgnoredButNothingElseIs() {
    assertThat(unelide("{\"a\":[1,…],\"b\":…,\"c\":\"<64 hex>\",\"d\":\"x…\"}"))
        .isEqualTo("{\"a\":[1],\"b\":\"<elided>\",\"c\":\"<elided>\",\"d\":\"x…\"}");
    assertThat(unelide("{\"a\":[…],\"b\":{…},\"c\":{ … }}"))
        .isEqualTo("{\"a\":[],\"b\":\"<elided>\",\"c\":\"<elided>\"}");
    Example elidedButWrong =
        new Example(
            "F",
            unelide(
                "{\"taskId\":\"t\",\"batchId\":\"b\",\"fingerprint\":…,\"recordedAt\":…,\"targetIndex\":-1,\"status\":\"published\"}"));
    assertThat(problems(elidedButWrong)).singleElement().asString().contains("targetIndex");
  }

  // ---- helpers ----

  static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The sources of a main package (not its sub-packages). */
  static List<String> sources(String pkg) {
    try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .sorted()
          .map(SpecTest::read)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Group 1 of every match of {@code p} in the sources of {@code pkg}. */
  static Set<String> scan(String pkg, Pattern p) {
    Set<String> out = new TreeSet<>();
    for (String s : sources(pkg)) {
      Matcher m = p.matcher(s);
      while (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /** The classes (nested ones too) compiled from a main package. */
  static List<Class<?>> classes(String pkg) throws IOException, ClassNotFoundException {
    List<Class<?>> out = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(CLASSES.resolve(pkg))) {
      files = s.filter(p -> p.toString().endsWith(".class")).sorted().toList();
    }
    for (Path f : files) {
      String name = f.getFileName().toString().replace(".class", "");
      out.add(
          Class.forName(
              "dev.letmepost." + pkg + "." + name, false, SpecTest.class.getClassLoader()));
    }
    return out;
  }

  /** The values of the {@code *HEADER} String constants of a main package's classes. */
  static Set<String> headerConstants(String pkg) {
    Set<String> out = new TreeSet<>();
    try {
      for (Class<?> c : classes(pkg)) {
        out.addAll(ApiSpec.constants(c, f -> f.endsWith("HEADER")));
      }
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }
}

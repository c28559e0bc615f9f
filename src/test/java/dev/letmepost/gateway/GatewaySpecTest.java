package dev.letmepost.gateway;

import static dev.letmepost.gateway.GatewayHttpTest.ALICE_KEY;
import static dev.letmepost.gateway.GatewayHttpTest.BODY;
import static dev.letmepost.gateway.GatewayHttpTest.ENVELOPE;
import static dev.letmepost.gateway.GatewayHttpTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.http.ApiHeaders;
import dev.letmepost.http.ApiSpec;
import dev.letmepost.ledger.RequestView;
import dev.letmepost.net.AddressGuard;
import dev.letmepost.webhook.DeliveryAttempt;
import dev.letmepost.webhook.DeliveryLog;
import dev.letmepost.webhook.EndpointRegistry;
import dev.letmepost.webhook.SigningKey;
import dev.letmepost.webhook.WebhookStore;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.ByteString;
import io.javalin.Javalin;
import io.javalin.router.ParsedEndpoint;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway against its OpenAPI document: every route Javalin has registered is a path and method
 * of the document (and no path of the document is made up), {@code GET /openapi.json} serves the
 * document kept in the repository, and real answers (GatewayHttpTest's {@link FakeLedger}, a {@link
 * WebhookStore} on maps) each have a declared status, declared API headers and a body valid against
 * that response's schema.
 */
class GatewaySpecTest {
  static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head");

  final HttpClient client = HttpClient.newHttpClient();
  final FakeLedger ledger = new FakeLedger();
  final EndpointRegistry endpoints = new EndpointRegistry();
  final DeliveryLog log = new DeliveryLog();
  final AtomicInteger ids = new AtomicInteger();
  final List<String> problems = new ArrayList<>();
  Gateway gateway;
  URI base;

  @BeforeEach
  void setUp() {
    gateway =
        new Gateway(
                GatewayConfig.defaults().withAnswerTimeout(Duration.ofMillis(300)),
                Clock.fixed(T0, ZoneOffset.UTC),
                new GatewayMetrics())
            .start("127.0.0.1", 0);
    gateway.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, ledger, ledger));
    gateway.attachWebhooks(
        new WebhookStore(
            endpoints,
            log,
            () -> true,
            (id, value) -> {},
            SigningKey.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII)),
            new AddressGuard(AddressGuard.Policy.STRICT, AddressGuard.Resolver.SYSTEM),
            Clock.fixed(T0, ZoneOffset.UTC),
            () -> "we_" + ids.incrementAndGet()));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  @AfterEach
  void tearDown() {
    gateway.close();
  }

  // ---- routes ----

  /** Each route the gateway's Javalin app has registered, as "GET /v1/batches/{id}". */
  static Set<String> routesOf(Gateway g) throws ReflectiveOperationException {
    Field f = Gateway.class.getDeclaredField("app");
    f.setAccessible(true);
    Javalin app = (Javalin) f.get(g);
    Set<String> out = new TreeSet<>();
    for (ParsedEndpoint e : app.unsafe.internalRouter.allHttpHandlers()) {
      out.add(e.endpoint.method.name() + " " + e.endpoint.path);
    }
    return out;
  }

  /** Each path and method of the OpenAPI document, as "GET /v1/batches/{id}". */
  static Set<String> documentedRoutes() {
    Set<String> out = new TreeSet<>();
    for (Map.Entry<String, JsonNode> p :
        ApiSpec.fields(ApiSpec.document(ApiSpec.OPENAPI).path("paths"))) {
      p.getValue()
          .fieldNames()
          .forEachRemaining(
              m -> {
                if (METHODS.contains(m)) {
                  out.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
                }
              });
    }
    return out;
  }

  @Test
  void everyRouteOfTheGatewayIsInTheOpenApiDocumentAndNoneIsMadeUp() throws Exception {
    Set<String> routes = routesOf(gateway);
    assertThat(routes)
        .contains(
            "POST /v1/posts",
            "GET /v1/batches/{id}",
            "GET /openapi.json",
            "DELETE /v1/webhook-endpoints/{id}");
    assertThat(ApiSpec.missing(routes, documentedRoutes(), false)).isEmpty();
    assertThat(ApiSpec.missing(documentedRoutes(), routes, false)).isEmpty();
  }

  @Test
  void routeComparisonNamesARouteTheDocumentLacks() throws Exception {
    Set<String> routes = new TreeSet<>(routesOf(gateway));
    routes.add("PATCH /v1/made-up/{id}");
    assertThat(ApiSpec.missing(routes, documentedRoutes(), false))
        .containsExactly("PATCH /v1/made-up/{id}");
  }

  @Test
  void openapiJsonServesTheDocumentKeptInTheRepositoryWithoutAnApiKey() throws Exception {
    HttpResponse<byte[]> r =
        client.send(
            HttpRequest.newBuilder(base.resolve("/openapi.json")).build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith(ApiHeaders.JSON);
    assertThat(r.body()).isEqualTo(ApiSpec.bytes(ApiSpec.OPENAPI));
    assertThat(ApiSpec.tree(r.body()).path("openapi").asText()).isEqualTo("3.1.0");
  }

  // ---- real answers ----

  /** The pointer of the response the document declares for a route and status, or null. */
  static String declaredResponse(String method, String template, int status) {
    String op =
        ApiSpec.OPENAPI
            + "#/paths/"
            + ApiSpec.escape(template)
            + "/"
            + method.toLowerCase(Locale.ROOT)
            + "/responses/";
    JsonNode doc = ApiSpec.document(ApiSpec.OPENAPI);
    String code = Integer.toString(status);
    String pointer = op.substring(op.indexOf('#') + 1) + code;
    if (doc.at(pointer).isMissingNode()) {
      pointer = "/components/x-server-errors/responses/" + code;
      if (doc.at(pointer).isMissingNode()) {
        return null;
      }
    }
    JsonNode response = doc.at(pointer);
    while (response.has("$ref")) {
      pointer = response.get("$ref").asText().substring(1);
      response = doc.at(pointer);
    }
    return ApiSpec.OPENAPI + "#" + pointer;
  }

  /**
   * What is wrong with an answer of {@code method template}: a status the document does not declare
   * for it, an API header it does not declare on that response, a body its schema refuses, an error
   * code its {@code x-error-codes} do not list.
   */
  static List<String> check(
      String method, String template, int status, Map<String, List<String>> headers, String body) {
    String where = method + " " + template + " " + status;
    String ref = declaredResponse(method, template, status);
    if (ref == null) {
      return List.of(where + ": status not in the document");
    }
    List<String> out = new ArrayList<>();
    JsonNode response = ApiSpec.resolve(ref);
    Set<String> declared = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    response.path("headers").fieldNames().forEachRemaining(declared::add);
    Set<String> apiHeaders = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    apiHeaders.addAll(ApiSpec.constants(ApiHeaders.class, f -> !f.equals("JSON")));
    apiHeaders.add("WWW-Authenticate");
    apiHeaders.remove(ApiHeaders.CONTENT_TYPE);
    for (String h : headers.keySet()) {
      if (apiHeaders.contains(h) && !declared.contains(h)) {
        out.add(where + ": header " + h + " not declared");
      }
    }
    JsonNode content = response.path("content");
    if (content.has(ApiHeaders.JSON)) {
      String schema = ref + "/content/" + ApiSpec.escape(ApiHeaders.JSON) + "/schema";
      ApiSpec.validate(schema, body).forEach(p -> out.add(where + ": " + p));
      JsonNode tree = ApiSpec.tree(body);
      if (tree.has("error")) {
        String code = tree.path("error").path("code").asText();
        Set<String> codes = new TreeSet<>();
        response.path("x-error-codes").forEach(c -> codes.add(c.asText()));
        if (!codes.contains(code)) {
          out.add(where + ": error code " + code + " not in x-error-codes " + codes);
        }
      }
    }
    return out;
  }

  HttpResponse<String> call(
      String method, String path, String template, String apiKey, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
    if (apiKey != null) {
      b.header("Authorization", "Bearer " + apiKey);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    problems.addAll(check(method, template, r.statusCode(), r.headers().map(), r.body()));
    return r;
  }

  static final String JSON = "application/json";

  @Test
  void postAnswersHaveDeclaredStatusesHeadersAndBodies() throws Exception {
    String t = "/v1/posts";
    ledger.answers = s -> GatewayHttpTest.answer(s, 201, false, "batch_1", ENVELOPE);
    assertThat(
            call("POST", t, t, ALICE_KEY, BODY, "Content-Type", JSON, "Idempotency-Key", "K1")
                .statusCode())
        .isEqualTo(201);
    String conflict =
        "{\"error\":{\"code\":\"idempotency_conflict\",\"message\":\"Idempotency-Key 'K1' was first used with a different request body\"}}";
    ledger.answers = s -> GatewayHttpTest.answer(s, 422, false, "batch_1", conflict);
    assertThat(
            call("POST", t, t, ALICE_KEY, BODY + " ", "Content-Type", JSON, "Idempotency-Key", "K1")
                .statusCode())
        .isEqualTo(422);
    ledger.answers = s -> null;
    assertThat(
            call("POST", t, t, ALICE_KEY, BODY, "Content-Type", JSON, "Idempotency-Key", "K2")
                .statusCode())
        .as("no answer within the answer timeout")
        .isEqualTo(202);
    assertThat(
            call("POST", t, t, ALICE_KEY, BODY, "Content-Type", JSON, "Idempotency-Key", "")
                .statusCode())
        .isEqualTo(400);
    assertThat(call("POST", t, t, ALICE_KEY, BODY, "Content-Type", "text/plain").statusCode())
        .isEqualTo(415);
    assertThat(call("POST", t, t, null, BODY, "Content-Type", JSON).statusCode()).isEqualTo(401);
    assertThat(problems).isEmpty();
  }

  @Test
  void validateAnswersHaveDeclaredStatusesHeadersAndBodies() throws Exception {
    String t = "/v1/posts/validate";
    try (DriverLedger driver = new DriverLedger(T0)) {
      driver.account(
          new Account(
              "acc_1", "key_alice", "twitter", "@a", Account.Status.connected, null, false));
      ledger.dryRun = driver.dryRun();
      assertThat(call("POST", t, t, ALICE_KEY, BODY, "Content-Type", JSON).statusCode())
          .isEqualTo(200);
      String refused =
          "{\"targets\":[{\"accountId\":\"acc_1\"},{\"accountId\":\"acc_9\"}],\"text\":\"x\"}";
      assertThat(
              call("POST", t, t, ALICE_KEY, refused, "Content-Type", JSON, "Idempotency-Key", "K1")
                  .statusCode())
          .isEqualTo(200);
      assertThat(call("POST", t, t, ALICE_KEY, "{}", "Content-Type", JSON).statusCode())
          .isEqualTo(400);
      assertThat(
              call("POST", t, t, ALICE_KEY, BODY, "Content-Type", JSON, "Idempotency-Key", "")
                  .statusCode())
          .isEqualTo(400);
      assertThat(call("POST", t, t, ALICE_KEY, BODY, "Content-Type", "text/plain").statusCode())
          .isEqualTo(415);
      assertThat(call("POST", t, t, null, BODY, "Content-Type", JSON).statusCode()).isEqualTo(401);
      ledger.running = false;
      assertThat(call("POST", t, t, ALICE_KEY, BODY, "Content-Type", JSON).statusCode())
          .isEqualTo(503);
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void readAnswersHaveDeclaredStatusesHeadersAndBodies() throws Exception {
    ledger.batches.put("batch_1", GatewayHttpTest.view("key_alice", "K1", true));
    ledger.liveByFingerprint.put(
        Gateway.fingerprint("key_alice", "K1"), GatewayHttpTest.view("key_alice", "K1", true));
    ledger.requests.put(
        "req_wait",
        new RequestView("req_wait", "key_alice", "K3", null, false, "batch_2", null, null));
    ledger.requests.put(
        "req_done",
        new RequestView(
            "req_done",
            "key_alice",
            "K1",
            201,
            true,
            "batch_1",
            T0.plus(Duration.ofHours(24)),
            ByteString.copyOf(ENVELOPE.getBytes(StandardCharsets.UTF_8))));
    String b = "/v1/batches/{id}";
    String r = "/v1/requests/{id}";
    String k = "/v1/idempotency-keys/{key}";
    assertThat(call("GET", "/v1/batches/batch_1", b, ALICE_KEY, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/v1/batches/batch_9", b, ALICE_KEY, null).statusCode()).isEqualTo(404);
    assertThat(call("GET", "/v1/batches/batch_1", b, "lmp_live_nope", null).statusCode())
        .isEqualTo(401);
    assertThat(call("GET", "/v1/requests/req_done", r, ALICE_KEY, null).statusCode())
        .isEqualTo(201);
    assertThat(call("GET", "/v1/requests/req_wait", r, ALICE_KEY, null).statusCode())
        .isEqualTo(202);
    assertThat(call("GET", "/v1/requests/req_none", r, ALICE_KEY, null).statusCode())
        .isEqualTo(404);
    assertThat(call("GET", "/v1/requests/" + "r".repeat(201), r, ALICE_KEY, null).statusCode())
        .isEqualTo(400);
    assertThat(call("GET", "/v1/idempotency-keys/K1", k, ALICE_KEY, null).statusCode())
        .isEqualTo(200);
    assertThat(call("GET", "/v1/idempotency-keys/K9", k, ALICE_KEY, null).statusCode())
        .isEqualTo(404);
    assertThat(call("GET", "/healthz", "/healthz", null, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/readyz", "/readyz", null, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/metrics", "/metrics", null, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/v1/nothing-here", "/v1/nothing-here", ALICE_KEY, null).statusCode())
        .isEqualTo(404);
    ledger.running = false;
    assertThat(call("GET", "/readyz", "/readyz", null, null).statusCode()).isEqualTo(503);
    assertThat(problems).isEmpty();
  }

  @Test
  void batchActionAnswersHaveDeclaredStatusesHeadersAndBodies() throws Exception {
    String one = "/v1/batches/{id}";
    String retry = "/v1/batches/{id}/retry";
    String canceled =
        "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"canceled\",\"results\":"
            + "[{\"accountId\":\"acc_1\",\"platform\":\"bluesky\",\"status\":\"canceled\"}]}";
    ledger.answers = s -> GatewayHttpTest.answer(s, 200, false, "batch_1", canceled);
    assertThat(
            call("DELETE", "/v1/batches/batch_1", one, ALICE_KEY, null, "Idempotency-Key", "A1")
                .statusCode())
        .isEqualTo(200);
    assertThat(
            call(
                    "PATCH",
                    "/v1/batches/batch_1",
                    one,
                    ALICE_KEY,
                    "{\"scheduledAt\":\"2026-11-29T14:00:00Z\"}",
                    "Content-Type",
                    JSON)
                .statusCode())
        .isEqualTo(200);
    assertThat(call("PATCH", "/v1/batches/batch_1", one, ALICE_KEY, "{}").statusCode())
        .as("PATCH without Content-Type")
        .isEqualTo(415);
    ledger.answers = s -> GatewayHttpTest.answer(s, 201, false, "batch_2", ENVELOPE);
    assertThat(call("POST", "/v1/batches/batch_1/retry", retry, ALICE_KEY, null).statusCode())
        .isEqualTo(201);
    assertThat(call("DELETE", "/v1/batches/" + "b".repeat(201), one, ALICE_KEY, null).statusCode())
        .isEqualTo(404);
    assertThat(problems).isEmpty();
  }

  @Test
  void webhookEndpointAnswersHaveDeclaredStatusesHeadersAndBodies() throws Exception {
    String all = "/v1/webhook-endpoints";
    String one = "/v1/webhook-endpoints/{id}";
    String deliveries = "/v1/webhook-endpoints/{id}/deliveries";
    String create =
        "{\"url\":\"https://93.184.215.14/hooks\",\"events\":[\"batch.completed\",\"target.failed\"]}";
    assertThat(call("POST", all, all, ALICE_KEY, create, "Content-Type", JSON).statusCode())
        .isEqualTo(201);
    assertThat(
            call(
                    "POST",
                    all,
                    all,
                    ALICE_KEY,
                    "{\"url\":\"http://127.0.0.1/\",\"events\":[\"batch.completed\"]}",
                    "Content-Type",
                    JSON)
                .statusCode())
        .isEqualTo(400);
    assertThat(call("POST", all, all, ALICE_KEY, "[]", "Content-Type", JSON).statusCode())
        .isEqualTo(400);
    assertThat(call("GET", all, all, ALICE_KEY, null).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/v1/webhook-endpoints/we_1", one, ALICE_KEY, null).statusCode())
        .isEqualTo(200);
    log.add(
        new DeliveryAttempt(
            "we_1",
            "evt_0123456789abcdef0123456789abcdef",
            "batch.completed",
            1,
            "2026-11-29T12:00:01.000Z",
            DeliveryAttempt.RETRYING,
            500,
            12,
            "the receiver answered HTTP 500",
            "2026-11-29T12:00:31.000Z"));
    assertThat(
            call("GET", "/v1/webhook-endpoints/we_1/deliveries", deliveries, ALICE_KEY, null)
                .statusCode())
        .isEqualTo(200);
    assertThat(call("DELETE", "/v1/webhook-endpoints/we_1", one, ALICE_KEY, null).statusCode())
        .isEqualTo(200);
    assertThat(call("GET", "/v1/webhook-endpoints/we_9", one, ALICE_KEY, null).statusCode())
        .isEqualTo(404);
    assertThat(problems).isEmpty();
  }

  @Test
  void answerCheckFailsOnAnUndeclaredStatusHeaderBodyOrErrorCode() {
    assertThat(check("GET", "/v1/batches/{id}", 418, Map.of(), "{}"))
        .containsExactly("GET /v1/batches/{id} 418: status not in the document");
    assertThat(
            check(
                "GET",
                "/v1/batches/{id}",
                200,
                Map.of("Location", List.of("/v1/x")),
                "{\"id\":\"batch_1\",\"object\":\"batch\",\"status\":\"archived\",\"results\":[]}"))
        .hasSize(2)
        .anySatisfy(
            p -> assertThat(p).isEqualTo("GET /v1/batches/{id} 200: header Location not declared"))
        .anySatisfy(p -> assertThat(p).contains("status"));
    assertThat(
            check(
                "GET",
                "/v1/batches/{id}",
                404,
                Map.of(),
                "{\"error\":{\"code\":\"made_up\",\"message\":\"m\"}}"))
        .containsExactly(
            "GET /v1/batches/{id} 404: error code made_up not in x-error-codes [batch_not_found]");
  }
}

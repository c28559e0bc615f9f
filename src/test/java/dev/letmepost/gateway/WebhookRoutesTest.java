package dev.letmepost.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.letmepost.net.AddressGuard;
import dev.letmepost.webhook.DeliveryAttempt;
import dev.letmepost.webhook.DeliveryLog;
import dev.letmepost.webhook.EndpointRegistry;
import dev.letmepost.webhook.SigningKey;
import dev.letmepost.webhook.WebhookException;
import dev.letmepost.webhook.WebhookStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook endpoint routes over real HTTP (GatewayHttpTest's set-up: a {@link FakeLedger}, the
 * same API keys) with a {@link WebhookStore} whose writes go to a map: status, headers, exact
 * bodies, and who sees what.
 */
class WebhookRoutesTest {
  static final Instant T0 = GatewayHttpTest.T0;
  static final SigningKey KEY =
      SigningKey.of("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
  static final String URL = "https://93.184.215.14/hooks";

  final HttpClient client = HttpClient.newHttpClient();
  final EndpointRegistry endpoints = new EndpointRegistry();
  final DeliveryLog log = new DeliveryLog();
  final Map<String, byte[]> written = new LinkedHashMap<>();
  final AtomicInteger ids = new AtomicInteger();
  volatile WebhookException failWrites;
  Gateway gateway;
  URI base;

  @BeforeEach
  void setUp() {
    gateway =
        new Gateway(GatewayConfig.defaults(), Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0);
    FakeLedger fake = new FakeLedger();
    gateway.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, fake, fake));
    gateway.attachWebhooks(
        store(
            endpoints,
            log,
            (id, value) -> {
              if (failWrites != null) {
                throw failWrites;
              }
              written.put(id, value);
            },
            () -> "we_" + ids.incrementAndGet()));
    base = URI.create("http://127.0.0.1:" + gateway.port());
  }

  /** A ready store on {@link #KEY} whose endpoint writes go to {@code writer}. */
  static WebhookStore store(
      EndpointRegistry endpoints,
      DeliveryLog log,
      WebhookStore.Writer writer,
      Supplier<String> ids) {
    return new WebhookStore(
        endpoints,
        log,
        () -> true,
        writer,
        KEY,
        new AddressGuard(AddressGuard.Policy.STRICT, AddressGuard.Resolver.SYSTEM),
        Clock.fixed(T0, ZoneOffset.UTC),
        ids);
  }

  @AfterEach
  void tearDown() {
    gateway.close();
  }

  HttpResponse<String> send(String method, String path, String apiKey, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + apiKey);
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> create(String body) throws Exception {
    return send("POST", "/v1/webhook-endpoints", GatewayHttpTest.ALICE_KEY, body);
  }

  static final String CREATE =
      "{\"url\":\"" + URL + "\",\"events\":[\"batch.completed\",\"target.failed\"]}";

  @Test
  void createAnswers201WithTheSecretOnceAndWritesNoSecretToTheTopic() throws Exception {
    HttpResponse<String> r = create(CREATE);

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    String secret = KEY.secretFor("we_1");
    assertThat(r.body())
        .isEqualTo(
            "{\"id\":\"we_1\",\"object\":\"webhook_endpoint\",\"url\":\""
                + URL
                + "\",\"events\":[\"batch.completed\",\"target.failed\"],\"status\":\"enabled\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"secret\":\""
                + secret
                + "\"}");
    String record = new String(written.get("we_1"), StandardCharsets.UTF_8);
    assertThat(record)
        .isEqualTo(
            "{\"id\":\"we_1\",\"principal\":\"key_alice\",\"url\":\""
                + URL
                + "\",\"events\":[\"batch.completed\",\"target.failed\"],\"status\":\"enabled\","
                + "\"createdAt\":\"2026-11-29T12:00:00.000Z\",\"createdAtMillis\":"
                + T0.toEpochMilli()
                + "}");
    assertThat(record).doesNotContain(secret).doesNotContain("whsec_");

    HttpResponse<String> get =
        send("GET", "/v1/webhook-endpoints/we_1", GatewayHttpTest.ALICE_KEY, null);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).doesNotContain("secret").contains("\"id\":\"we_1\"");
  }

  @Test
  void listGetDeleteAndDeliveriesAreThePrincipalsOwnOnly() throws Exception {
    create(CREATE);
    create("{\"url\":\"" + URL + "/2\",\"events\":[\"batch.accepted\"]}");

    HttpResponse<String> list =
        send("GET", "/v1/webhook-endpoints", GatewayHttpTest.ALICE_KEY, null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).startsWith("{\"object\":\"list\",\"data\":[{\"id\":\"we_1\"");
    assertThat(list.body()).contains("\"id\":\"we_2\"").doesNotContain("secret");

    HttpResponse<String> bobList =
        send("GET", "/v1/webhook-endpoints", GatewayHttpTest.BOB_KEY, null);
    assertThat(bobList.body()).isEqualTo("{\"object\":\"list\",\"data\":[]}");
    String notFound =
        "{\"error\":{\"code\":\"webhook_endpoint_not_found\",\"message\":\"no webhook endpoint"
            + " 'we_1' for this API key\"}}";
    for (String[] call :
        new String[][] {
          {"GET", "/v1/webhook-endpoints/we_1"},
          {"DELETE", "/v1/webhook-endpoints/we_1"},
          {"GET", "/v1/webhook-endpoints/we_1/deliveries"}
        }) {
      HttpResponse<String> r = send(call[0], call[1], GatewayHttpTest.BOB_KEY, null);
      assertThat(r.statusCode()).as(call[0] + " " + call[1]).isEqualTo(404);
      assertThat(r.body()).isEqualTo(notFound);
    }

    log.add(
        new DeliveryAttempt(
            "we_1",
            "evt_1",
            "batch.completed",
            1,
            "2026-11-29T12:00:01.000Z",
            "retrying",
            500,
            12,
            "the receiver answered HTTP 500",
            "2026-11-29T12:00:31.000Z"));
    HttpResponse<String> deliveries =
        send("GET", "/v1/webhook-endpoints/we_1/deliveries", GatewayHttpTest.ALICE_KEY, null);
    assertThat(deliveries.statusCode()).isEqualTo(200);
    assertThat(deliveries.body())
        .isEqualTo(
            "{\"object\":\"list\",\"data\":[{\"endpointId\":\"we_1\",\"eventId\":\"evt_1\","
                + "\"eventType\":\"batch.completed\",\"attempt\":1,"
                + "\"attemptedAt\":\"2026-11-29T12:00:01.000Z\",\"result\":\"retrying\","
                + "\"httpStatus\":500,\"latencyMs\":12,"
                + "\"error\":\"the receiver answered HTTP 500\","
                + "\"nextAttemptAt\":\"2026-11-29T12:00:31.000Z\"}]}");

    HttpResponse<String> deleted =
        send("DELETE", "/v1/webhook-endpoints/we_1", GatewayHttpTest.ALICE_KEY, null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(deleted.body())
        .isEqualTo("{\"id\":\"we_1\",\"object\":\"webhook_endpoint\",\"deleted\":true}");
    assertThat(written).containsEntry("we_1", null);
    assertThat(
            send("GET", "/v1/webhook-endpoints/we_1", GatewayHttpTest.ALICE_KEY, null).statusCode())
        .isEqualTo(404);
  }

  @Test
  void aDisabledEndpointSaysSoWithItsReason() throws Exception {
    create(CREATE);
    endpoints.put(
        endpoints
            .get("we_1")
            .orElseThrow()
            .disabled("20 consecutive failed deliveries; the last: x", "2026-11-29T13:00:00.000Z"));
    HttpResponse<String> r =
        send("GET", "/v1/webhook-endpoints/we_1", GatewayHttpTest.ALICE_KEY, null);
    assertThat(r.body())
        .contains(
            "\"status\":\"disabled\",\"createdAt\":\"2026-11-29T12:00:00.000Z\","
                + "\"disabledReason\":\"20 consecutive failed deliveries; the last: x\","
                + "\"disabledAt\":\"2026-11-29T13:00:00.000Z\"}");
  }

  @Test
  void badRequestsAreAnsweredWithACodeNamingTheValue() throws Exception {
    assertError(
        create("{\"url\":\"https://127.0.0.1/x\",\"events\":[\"batch.completed\"]}"),
        400,
        "url_not_allowed",
        "url 'https://127.0.0.1/x' resolves to 127.0.0.1: loopback addresses are not allowed"
            + " (--webhook-allow-private-addresses allows them)");
    assertError(
        create("{\"url\":\"http://93.184.215.14/x\",\"events\":[\"batch.completed\"]}"),
        400,
        "url_not_allowed",
        "url 'http://93.184.215.14/x' resolves to 93.184.215.14: http is allowed only to a loopback"
            + " address in demo mode; use https");
    assertError(
        create("{\"url\":\"" + URL + "\",\"events\":[\"batch.exploded\"]}"),
        400,
        "unknown_event_type",
        "unknown event type 'batch.exploded'; known: [batch.accepted, batch.scheduled,"
            + " target.published, target.failed, target.unknown, batch.completed]");
    assertError(
        create("{\"url\":\"" + URL + "\",\"events\":[]}"),
        400,
        "invalid_events",
        "events must name at least one of [batch.accepted, batch.scheduled, target.published,"
            + " target.failed, target.unknown, batch.completed]");
    assertError(
        create("{\"url\":\"" + URL + "\",\"events\":[\"batch.completed\"],\"colour\":1}"),
        400,
        "unknown_field",
        "unknown field 'colour'");
    assertError(
        create("{\"events\":[\"batch.completed\"]}"),
        400,
        "invalid_url",
        "url is required and must be a string");
    assertThat(create("{").body()).startsWith("{\"error\":{\"code\":\"malformed_json\"");
    HttpResponse<String> noType =
        client.send(
            HttpRequest.newBuilder(base.resolve("/v1/webhook-endpoints"))
                .header("Authorization", "Bearer " + GatewayHttpTest.ALICE_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(CREATE))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(noType.statusCode()).isEqualTo(415);
    assertThat(written).isEmpty();
  }

  /**
   * The creation route read up to 16 KiB + 1 bytes of a body before it looked at its size, the
   * declared {@code Content-Length} unread: a client that declared a larger body and sent it
   * slowly, or not at all, held its request open until the body came or the connection timed out. A
   * declared length over the limit is {@code 413} at once, the body unread, as on every route that
   * writes ({@link WritePipeline}).
   */
  @Test
  void createDeclaringABodyOverTheLimitIs413WithoutWaitingForTheBody() throws Exception {
    HttpResponse<String> r =
        GatewayHttpTest.rawRequest(
            gateway.port(),
            "POST /v1/webhook-endpoints HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + "Authorization: Bearer "
                + GatewayHttpTest.ALICE_KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + (WebhookRoutes.MAX_BODY_BYTES + 1)
                + "\r\n\r\n{");

    assertError(
        r, 413, "body_too_large", "the request body is larger than the limit of 16384 bytes");
    assertThat(written).isEmpty();
  }

  /**
   * The creation route echoed a refused {@code Content-Type} whole into its error body (up to the 8
   * KiB header limit); every echoed value is cut to 64 characters, as the other write routes did.
   */
  @Test
  void createWithALongContentTypeIs415EchoingItCut() throws Exception {
    String type = "text/" + "x".repeat(2000);
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(base.resolve("/v1/webhook-endpoints"))
                .header("Authorization", "Bearer " + GatewayHttpTest.ALICE_KEY)
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(CREATE))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertError(
        r,
        415,
        "unsupported_media_type",
        "Content-Type must be application/json, got 'text/" + "x".repeat(59) + "...(2005 chars)'");
    assertThat(written).isEmpty();
  }

  @Test
  void withoutAKeyOrWhenKafkaFailsTheRoutesSay503() throws Exception {
    failWrites = new WebhookException(503, "webhooks_unavailable", "Kafka did not take it");
    HttpResponse<String> r = create(CREATE);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(endpoints.of("key_alice")).as("nothing kept that Kafka did not take").isEmpty();

    Gateway bare =
        new Gateway(GatewayConfig.defaults(), Clock.fixed(T0, ZoneOffset.UTC), new GatewayMetrics())
            .start("127.0.0.1", 0);
    try {
      FakeLedger fake = new FakeLedger();
      bare.attach(new Gateway.Backend(GatewayHttpTest.registry(), () -> true, fake, fake));
      HttpResponse<String> off =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + bare.port() + "/v1/webhook-endpoints"))
                  .header("Authorization", "Bearer " + GatewayHttpTest.ALICE_KEY)
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(off.statusCode()).isEqualTo(503);
      assertThat(off.body())
          .isEqualTo(
              "{\"error\":{\"code\":\"webhooks_unavailable\",\"message\":\"webhooks are not"
                  + " configured on this instance: start it with --webhook-signing-key-file\"}}");
    } finally {
      bare.close();
    }
  }

  @Test
  void unauthenticatedIs401() throws Exception {
    HttpResponse<String> r = send("GET", "/v1/webhook-endpoints", "lmp_live_nope", null);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).isEqualTo(GatewayHttpTest.UNAUTHORIZED);
  }

  @Test
  void aPrincipalHasAtMostSixteenEndpoints() throws Exception {
    for (int i = 0; i < WebhookStore.MAX_ENDPOINTS; i++) {
      assertThat(create(CREATE).statusCode()).isEqualTo(201);
    }
    assertError(
        create(CREATE),
        409,
        "too_many_endpoints",
        "principal key_alice already has 16 webhook endpoints");
  }

  static void assertError(HttpResponse<String> r, int status, String code, String message) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.body())
        .isEqualTo("{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}");
  }
}

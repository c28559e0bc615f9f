package dev.letmepost.platform.bluesky;

import static dev.letmepost.platform.ConnectorTestKit.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.letmepost.platform.ConnectorTestKit;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which session a Bluesky call uses when the account behind an account id changes: a session is
 * reused only for the same account id, principal, handle, endpoint and app password.
 */
class BlueskySessionIdentityTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String DID_ALICE = "did:plc:aliceaaaaaaaaaaaaaaaaaaa";
  private static final String DID_BOB = "did:plc:bobbbbbbbbbbbbbbbbbbbbbb";

  private MockWebServer pds;
  private MockWebServer otherPds;
  private BlueskyConnector connector;

  @BeforeEach
  void setUp() throws IOException {
    pds = new MockWebServer();
    pds.start();
    otherPds = new MockWebServer();
    otherPds.start();
    connector =
        new BlueskyConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofSeconds(2), CLOCK));
  }

  @AfterEach
  void tearDown() throws IOException {
    pds.shutdown();
    otherPds.shutdown();
  }

  /**
   * Broke: sessions were cached by account id only. acc_b belonged to alice (alice.bsky.social) and
   * posted; the operator reassigned acc_b to bob (bob.bsky.social, his app password); bob's next
   * post reused alice's session and went into alice's repository.
   */
  @Test
  void accountIdReassignedToAnotherPrincipalOpensASessionForTheNewOwner() throws Exception {
    publishOnce(pds, access("alice", "alice.bsky.social", pds, "pw-alice"), DID_ALICE, "k1");

    publishOnce(pds, access("bob", "bob.bsky.social", pds, "pw-bob"), DID_BOB, "k2");

    assertSession(pds.takeRequest(1, TimeUnit.SECONDS), "alice.bsky.social", "pw-alice");
    assertCreate(pds.takeRequest(1, TimeUnit.SECONDS), "access-" + DID_ALICE, DID_ALICE);
    assertSession(pds.takeRequest(1, TimeUnit.SECONDS), "bob.bsky.social", "pw-bob");
    assertCreate(pds.takeRequest(1, TimeUnit.SECONDS), "access-" + DID_BOB, DID_BOB);
    assertThat(pds.getRequestCount()).isEqualTo(4);
  }

  /** Broke: a new handle on the same account id and principal kept the old repository. */
  @Test
  void handleChangedOpensASessionWithTheNewHandle() throws Exception {
    publishOnce(pds, access("alice", "alice.bsky.social", pds, "pw"), DID_ALICE, "k1");

    publishOnce(pds, access("alice", "alice.example.com", pds, "pw"), DID_BOB, "k2");

    assertSession(pds.takeRequest(1, TimeUnit.SECONDS), "alice.bsky.social", "pw");
    pds.takeRequest(1, TimeUnit.SECONDS);
    assertSession(pds.takeRequest(1, TimeUnit.SECONDS), "alice.example.com", "pw");
    assertCreate(pds.takeRequest(1, TimeUnit.SECONDS), "access-" + DID_BOB, DID_BOB);
  }

  /**
   * Broke: a rotated app password (the old one revoked) kept the session opened with the old one,
   * so a revocation did not take effect until the token expired.
   */
  @Test
  void appPasswordChangedOpensASessionWithTheNewPassword() throws Exception {
    publishOnce(pds, access("alice", "alice.bsky.social", pds, "pw-old"), DID_ALICE, "k1");

    publishOnce(pds, access("alice", "alice.bsky.social", pds, "pw-new"), DID_ALICE, "k2");

    assertSession(pds.takeRequest(1, TimeUnit.SECONDS), "alice.bsky.social", "pw-old");
    pds.takeRequest(1, TimeUnit.SECONDS);
    assertSession(pds.takeRequest(1, TimeUnit.SECONDS), "alice.bsky.social", "pw-new");
    assertCreate(pds.takeRequest(1, TimeUnit.SECONDS), "access-" + DID_ALICE, DID_ALICE);
  }

  /** A moved account opens its session at the new PDS; the old one hears nothing more. */
  @Test
  void endpointChangedOpensASessionAtTheNewPds() throws Exception {
    publishOnce(pds, access("alice", "alice.bsky.social", pds, "pw"), DID_ALICE, "k1");

    publishOnce(otherPds, access("alice", "alice.bsky.social", otherPds, "pw"), DID_BOB, "k2");

    assertThat(pds.getRequestCount()).isEqualTo(2);
    assertSession(otherPds.takeRequest(1, TimeUnit.SECONDS), "alice.bsky.social", "pw");
    assertCreate(otherPds.takeRequest(1, TimeUnit.SECONDS), "access-" + DID_BOB, DID_BOB);
  }

  /** The same identity still reuses its session: one createSession for two posts. */
  @Test
  void sameIdentityReusesItsSession() throws Exception {
    AccountAccess alice = access("alice", "alice.bsky.social", pds, "pw");
    publishOnce(pds, alice, DID_ALICE, "k1");
    PublishTask second = task("k2");
    pds.enqueue(json(200, created(DID_ALICE, RecordKeys.forTask(second))));

    assertThat(connector.publish(second, alice)).isInstanceOf(CallResult.Published.class);

    assertThat(pds.getRequestCount()).isEqualTo(3);
  }

  /**
   * The cache holds at most its bound, least recently used dropped first, and one account id holds
   * one entry: a changed identity replaces the old entry instead of adding one.
   */
  @Test
  void cacheIsBoundedAndHoldsOneEntryPerAccountId() {
    SessionCache cache = new SessionCache(2);
    URI pdsUri = URI.create("https://pds.example");
    for (String id : new String[] {"a1", "a2", "a3"}) {
      cache.session(identity(id, "h", "pw"), null, () -> opened(id));
    }
    assertThat(cache.size()).isEqualTo(2);

    cache.session(identity("a3", "h2", "pw2"), null, () -> opened("a3"));

    assertThat(cache.size()).isEqualTo(2);
    SessionCache.Opened again =
        cache.session(identity("a3", "h2", "pw2"), null, () -> opened("unexpected"));
    assertThat(again.fresh()).isFalse();
    assertThat(SessionCache.Identity.of("a", "p", "h", pdsUri, "pw").toString())
        .doesNotContain("pw")
        .doesNotContain(SessionCache.Identity.of("a", "p", "h", pdsUri, "pw").secretDigest());
  }

  /** The key holds a digest of the app password, never the password itself. */
  @Test
  void identityHoldsADigestOfTheSecretNotTheSecret() {
    SessionCache.Identity identity =
        SessionCache.Identity.of("a", "p", "h", URI.create("https://pds.example"), "pw-secret");

    assertThat(identity.secretDigest()).hasSize(64).doesNotContain("pw-secret");
    assertThat(identity)
        .isNotEqualTo(
            SessionCache.Identity.of("a", "p", "h", URI.create("https://pds.example"), "pw-other"));
  }

  private static SessionCache.Identity identity(String id, String handle, String pw) {
    return SessionCache.Identity.of(id, "p", handle, URI.create("https://pds.example"), pw);
  }

  private static SessionCache.Opened opened(String did) {
    return new SessionCache.Opened(
        new SessionCache.Session(URI.create("https://pds.example"), did, "h", "a", "r"),
        true,
        null);
  }

  private void publishOnce(MockWebServer server, AccountAccess access, String did, String key) {
    PublishTask task = task(key);
    server.enqueue(json(200, session(did, access.account().handle())));
    server.enqueue(json(200, created(did, RecordKeys.forTask(task))));
    assertThat(connector.publish(task, access))
        .isEqualTo(
            new CallResult.Published(
                RecordKeys.forTask(task),
                "at://" + did + "/app.bsky.feed.post/" + RecordKeys.forTask(task)));
  }

  private static void assertSession(RecordedRequest request, String handle, String password)
      throws IOException {
    assertThat(request).isNotNull();
    assertThat(request.getPath()).isEqualTo("/xrpc/com.atproto.server.createSession");
    JsonNode body = MAPPER.readTree(request.getBody().readUtf8());
    assertThat(body.get("identifier").asText()).isEqualTo(handle);
    assertThat(body.get("password").asText()).isEqualTo(password);
  }

  private static void assertCreate(RecordedRequest request, String accessJwt, String repo)
      throws IOException {
    assertThat(request).isNotNull();
    assertThat(request.getPath()).isEqualTo("/xrpc/com.atproto.repo.createRecord");
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + accessJwt);
    assertThat(MAPPER.readTree(request.getBody().readUtf8()).get("repo").asText()).isEqualTo(repo);
  }

  private static AccountAccess access(
      String principal, String handle, MockWebServer server, String password) {
    Account account =
        new Account(
            "acc_b",
            principal,
            "bluesky",
            handle,
            Account.Status.connected,
            "env:BSKY_PW",
            false,
            server.url("/").toString());
    return ConnectorTestKit.access(account, password);
  }

  private static PublishTask task(String key) {
    return ConnectorTestKit.task("bluesky", "acc_b")
        .key(key)
        .text("hello")
        .at(NOW.minusSeconds(60).toEpochMilli(), NOW.plusSeconds(3600).toEpochMilli())
        .build();
  }

  private static String session(String did, String handle) {
    return "{\"did\":\""
        + did
        + "\",\"handle\":\""
        + handle
        + "\",\"accessJwt\":\"access-"
        + did
        + "\",\"refreshJwt\":\"refresh-"
        + did
        + "\"}";
  }

  private static String created(String did, String rkey) {
    return "{\"uri\":\"at://" + did + "/app.bsky.feed.post/" + rkey + "\",\"cid\":\"bafy\"}";
  }
}

package dev.letmepost.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.command.BatchAction;
import dev.letmepost.command.PostRequest;
import dev.letmepost.command.Preflight;
import dev.letmepost.wire.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The typed request builder writes bodies the ledger's preflight accepts as they were meant. */
class PostTest {
  private static final Instant AT = Instant.parse("2026-12-01T09:00:00Z");

  @Test
  void theBuilderWritesTheContractsBodyInContractOrder() {
    Post post =
        Post.builder()
            .account("acc_1")
            .platform("bluesky")
            .text("shipped")
            .media("https://cdn.example/a.png", "a chart")
            .media("https://cdn.example/b.png")
            .firstComment("notes: https://example.com")
            .scheduledAt(AT)
            .build();
    assertThat(new String(post.toJson(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"targets\":[{\"accountId\":\"acc_1\"},{\"platform\":\"bluesky\"}],"
                + "\"text\":\"shipped\","
                + "\"media\":[{\"url\":\"https://cdn.example/a.png\",\"altText\":\"a chart\"},"
                + "{\"url\":\"https://cdn.example/b.png\"}],"
                + "\"firstComment\":\"notes: https://example.com\","
                + "\"scheduledAt\":\"2026-12-01T09:00:00Z\"}");
  }

  @Test
  void theLedgersPreflightReadsWhatTheBuilderMeant() {
    Post post =
        Post.builder()
            .account("acc_1")
            .platform("twitter")
            .text("shipped 🚀 ünïcødé")
            .media("https://cdn.example/a.png", "alt")
            .firstComment("first")
            .scheduledAt(AT)
            .build();
    Preflight.Result checked = Preflight.check(post.toJson());
    assertThat(checked.errors()).isEmpty();
    PostRequest r = checked.request();
    assertThat(r.targets())
        .containsExactly(
            new PostRequest.Target("acc_1", null), new PostRequest.Target(null, Platform.TWITTER));
    assertThat(r.text()).isEqualTo("shipped 🚀 ünïcødé");
    assertThat(r.media()).hasSize(1);
    assertThat(r.media().get(0).url()).isEqualTo("https://cdn.example/a.png");
    assertThat(r.media().get(0).altText()).isEqualTo("alt");
    assertThat(r.firstComment()).isEqualTo("first");
    assertThat(r.scheduledAt()).isEqualTo(AT);
  }

  @Test
  void aMinimalPostHasTargetsAndTextOnly() {
    byte[] body = Post.builder().account("acc_demo_twitter").text("shipped").build().toJson();
    assertThat(new String(body, StandardCharsets.UTF_8))
        .isEqualTo("{\"targets\":[{\"accountId\":\"acc_demo_twitter\"}],\"text\":\"shipped\"}");
    assertThat(Preflight.check(body).ok()).isTrue();
  }

  @Test
  void mediaWithoutTextIsAPost() {
    byte[] body =
        Post.builder().platform("bluesky").media("https://cdn.example/a.png").build().toJson();
    assertThat(Preflight.check(body).errors()).isEmpty();
  }

  @Test
  void contentRulesAreTheLedgersWhichListsEveryProblem() {
    Post post = Post.builder().account("").platform("myspace").text("x".repeat(40_001)).build();
    assertThat(Preflight.check(post.toJson()).errors())
        .extracting(e -> e.code())
        .contains("invalid_account_id", "unknown_platform", "too_long");
  }

  @Test
  void theStructureIsEnforcedWhenBuilding() {
    assertThatThrownBy(() -> Post.builder().text("no target").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a post needs at least one target");
    assertThatThrownBy(() -> Post.builder().account("acc_1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a post needs text, media or both");
    assertThatThrownBy(() -> new Post.Target("acc_1", "bluesky"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exactly one of accountId and platform");
    assertThatThrownBy(() -> new Post.Target(null, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void batchActionsAreTheRequestsTheLedgerRoutes() {
    assertThat(route(Request.cancel("batch_01J")))
        .isEqualTo(new BatchAction(BatchAction.Kind.CANCEL, "batch_01J"));
    assertThat(route(Request.reschedule("batch_01J", AT)))
        .isEqualTo(new BatchAction(BatchAction.Kind.RESCHEDULE, "batch_01J"));
    assertThat(route(Request.retry("batch_01J")))
        .isEqualTo(new BatchAction(BatchAction.Kind.RETRY, "batch_01J"));

    Preflight.ActionResult reschedule =
        Preflight.checkAction(
            BatchAction.Kind.RESCHEDULE, Request.reschedule("batch_01J", AT).body());
    assertThat(reschedule.errors()).isEmpty();
    assertThat(reschedule.scheduledAt()).isEqualTo(AT);
    assertThat(Preflight.checkAction(BatchAction.Kind.CANCEL, Request.cancel("b").body()).ok())
        .isTrue();
    assertThat(Preflight.checkAction(BatchAction.Kind.RETRY, Request.retry("b").body()).ok())
        .isTrue();
  }

  @Test
  void aPostIsPostV1Posts() {
    Request r = Request.post(Post.builder().account("a").text("t").build());
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/v1/posts");
    assertThat(BatchAction.parse(r.method(), r.path())).isEmpty();
  }

  @Test
  void aBatchIdThatCannotBeAPathSegmentIsRefused() {
    assertThatThrownBy(() -> Request.cancel("a/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a/b'");
    assertThatThrownBy(() -> Request.retry("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRequestKeepsItsBodyBytesToItself() {
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    Request r = Request.post(body);
    body[0] = 'x';
    assertThat(r.body()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
    r.body()[0] = 'y';
    assertThat(r.body()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
    assertThat(r).isEqualTo(Request.post("{}".getBytes(StandardCharsets.UTF_8)));
    assertThat(r.toString()).isEqualTo("POST /v1/posts (2 bytes)");
  }

  private static BatchAction route(Request r) {
    return BatchAction.parse(r.method(), r.path()).orElseThrow();
  }
}

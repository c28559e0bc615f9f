package dev.letmepost.platform.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.platform.sandbox.SandboxPlatform.AcceptedPost;
import dev.letmepost.platform.sandbox.SandboxPlatform.SandboxPost;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxPlatformTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @TempDir Path dir;

  @Test
  void appendsOneJsonLinePerAcceptedPostWithEveryField() throws IOException {
    SandboxPlatform sandbox = new SandboxPlatform(dir, CLOCK);

    SandboxPost first = sandbox.publish(task("t_1", "pik_1", "acc_1", "hello"));
    SandboxPost second = sandbox.publish(task("t_2", "pik_2", "acc_2", "again"));

    List<String> lines = Files.readAllLines(dir.resolve("posts.jsonl"));
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0))
        .isEqualTo(
            "{\"taskId\":\"t_1\",\"platformIdempotencyKey\":\"pik_1\",\"accountId\":\"acc_1\","
                + "\"platform\":\"sandbox\",\"batchId\":\"batch_1\",\"text\":\"hello\","
                + "\"postId\":\""
                + first.postId()
                + "\",\"publishedAt\":\"2026-03-01T12:00:00Z\"}");
    JsonNode secondLine = Json.MAPPER.readTree(lines.get(1));
    assertThat(secondLine.get("taskId").asText()).isEqualTo("t_2");
    assertThat(secondLine.get("postId").asText()).isEqualTo(second.postId());

    assertThat(first.postId()).startsWith("sbx_").isNotEqualTo(second.postId());
    assertThat(first.uri()).isEqualTo("sandbox://acc_1/" + first.postId());
    assertThat(first.publishedAt()).isEqualTo(NOW);
    assertThat(first.duplicate()).isFalse();
    assertThat(second.duplicate()).isFalse();

    assertThat(SandboxPlatform.readPosts(dir))
        .containsExactly(
            new AcceptedPost(
                "t_1",
                "pik_1",
                "acc_1",
                "sandbox",
                "batch_1",
                "hello",
                List.of(),
                null,
                first.postId(),
                NOW),
            new AcceptedPost(
                "t_2",
                "pik_2",
                "acc_2",
                "sandbox",
                "batch_1",
                "again",
                List.of(),
                null,
                second.postId(),
                NOW));
  }

  @Test
  void samePlatformIdempotencyKeyAnswersTheFirstPostAsDuplicateAndWritesNothing()
      throws IOException {
    SandboxPlatform sandbox = new SandboxPlatform(dir, CLOCK);
    SandboxPost first = sandbox.publish(task("t_1", "pik_1", "acc_1", "hello"));
    byte[] before = Files.readAllBytes(dir.resolve("posts.jsonl"));

    SandboxPost again = sandbox.publish(task("t_1_redelivered", "pik_1", "acc_1", "other text"));

    assertThat(again).isEqualTo(new SandboxPost(first.postId(), first.uri(), NOW, true));
    assertThat(Files.readAllBytes(dir.resolve("posts.jsonl"))).isEqualTo(before);
  }

  @Test
  void mediaAndFirstCommentAreSavedAndReadBackAfterARestart() throws IOException {
    SandboxPlatform sandbox = new SandboxPlatform(dir, CLOCK);
    SandboxPost post =
        sandbox.publish(
            new SandboxPlatform.Submission(
                "pik_1",
                "acc_1",
                "bluesky",
                "t_1",
                "batch_1",
                null,
                List.of(
                    new Media("https://example.com/a.png", "a cat"),
                    new Media("https://example.com/b.png", null)),
                "first!"));

    assertThat(Files.readAllLines(dir.resolve("posts.jsonl")))
        .containsExactly(
            "{\"taskId\":\"t_1\",\"platformIdempotencyKey\":\"pik_1\",\"accountId\":\"acc_1\","
                + "\"platform\":\"bluesky\",\"batchId\":\"batch_1\","
                + "\"media\":[{\"url\":\"https://example.com/a.png\",\"altText\":\"a cat\"},"
                + "{\"url\":\"https://example.com/b.png\"}],\"firstComment\":\"first!\","
                + "\"postId\":\""
                + post.postId()
                + "\",\"publishedAt\":\"2026-03-01T12:00:00Z\"}");
    AcceptedPost expected =
        new AcceptedPost(
            "t_1",
            "pik_1",
            "acc_1",
            "bluesky",
            "batch_1",
            null,
            List.of(
                new Media("https://example.com/a.png", "a cat"),
                new Media("https://example.com/b.png", null)),
            "first!",
            post.postId(),
            NOW);
    assertThat(SandboxPlatform.readPosts(dir)).containsExactly(expected);
    assertThat(new SandboxPlatform(dir, CLOCK).accepted("pik_1")).contains(expected);
  }

  @Test
  void submissionRejectsABlankKeyNamingIt() {
    assertThatThrownBy(
            () ->
                new SandboxPlatform.Submission(
                    " ", "acc_1", "sandbox", "t_1", "batch_1", "x", null, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("platformIdempotencyKey must be a non-empty string, got ' '");
  }

  @Test
  void findAnswersAnAcceptedKeyAsDuplicateAndWritesNothing() {
    SandboxPlatform sandbox = new SandboxPlatform(dir, CLOCK);
    assertThat(sandbox.find("pik_1")).isEmpty();
    SandboxPost first = sandbox.publish(task("t_1", "pik_1", "acc_1", "a"));

    assertThat(sandbox.find("pik_1"))
        .contains(new SandboxPost(first.postId(), first.uri(), NOW, true));
    assertThat(SandboxPlatform.readPosts(dir)).hasSize(1);
  }

  @Test
  void newInstanceOnTheSameDirectoryStillDedups() {
    SandboxPost first = new SandboxPlatform(dir, CLOCK).publish(task("t_1", "pik_1", "acc_1", "a"));

    Clock later = Clock.offset(CLOCK, Duration.ofHours(1));
    SandboxPlatform restarted = new SandboxPlatform(dir, later);
    SandboxPost again = restarted.publish(task("t_1", "pik_1", "acc_1", "a"));
    SandboxPost fresh = restarted.publish(task("t_2", "pik_2", "acc_1", "b"));

    assertThat(again).isEqualTo(new SandboxPost(first.postId(), first.uri(), NOW, true));
    assertThat(fresh.duplicate()).isFalse();
    assertThat(fresh.publishedAt()).isEqualTo(NOW.plusSeconds(3600));
    assertThat(SandboxPlatform.readPosts(dir))
        .extracting(AcceptedPost::platformIdempotencyKey)
        .containsExactly("pik_1", "pik_2");
  }

  @Test
  void tornLastLineIsSkippedAndCutOffBeforeTheNextAppend() throws IOException {
    SandboxPost first = new SandboxPlatform(dir, CLOCK).publish(task("t_1", "pik_1", "acc_1", "a"));
    Path file = dir.resolve("posts.jsonl");
    Files.write(
        file,
        "{\"taskId\":\"t_2\",\"platformIdempotencyKey\":\"pik_2\",\"accou"
            .getBytes(StandardCharsets.UTF_8),
        StandardOpenOption.APPEND);

    assertThat(SandboxPlatform.readPosts(dir))
        .extracting(AcceptedPost::postId)
        .containsExactly(first.postId());

    SandboxPlatform restarted = new SandboxPlatform(dir, CLOCK);
    SandboxPost second = restarted.publish(task("t_2", "pik_2", "acc_1", "b"));

    assertThat(second.duplicate()).as("a torn line was never accepted").isFalse();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(Json.MAPPER.readTree(lines.get(1)).get("postId").asText())
        .isEqualTo(second.postId());
    assertThat(SandboxPlatform.readPosts(dir))
        .extracting(AcceptedPost::platformIdempotencyKey)
        .containsExactly("pik_1", "pik_2");
  }

  @Test
  void wholeLastPostMissingOnlyItsNewlineCountsAsAccepted() throws IOException {
    SandboxPost first = new SandboxPlatform(dir, CLOCK).publish(task("t_1", "pik_1", "acc_1", "a"));
    Path file = dir.resolve("posts.jsonl");
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 1));

    SandboxPlatform restarted = new SandboxPlatform(dir, CLOCK);
    SandboxPost again = restarted.publish(task("t_1", "pik_1", "acc_1", "a"));
    restarted.publish(task("t_2", "pik_2", "acc_1", "b"));

    assertThat(again.duplicate()).isTrue();
    assertThat(again.postId()).isEqualTo(first.postId());
    assertThat(Files.readAllLines(file)).hasSize(2);
    assertThat(SandboxPlatform.readPosts(dir))
        .extracting(AcceptedPost::platformIdempotencyKey)
        .containsExactly("pik_1", "pik_2");
  }

  @Test
  void corruptLineBeforeTheLastIsAnErrorNamingTheLine() throws IOException {
    Files.writeString(dir.resolve("posts.jsonl"), "not json\n{}\n");

    assertThatThrownBy(() -> SandboxPlatform.readPosts(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("line 1");
    assertThatThrownBy(() -> new SandboxPlatform(dir, CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("line 1");
  }

  /**
   * Every check of a posts.jsonl line before the last, with the whole message: the line number, the
   * field, what it must be and the value it got.
   */
  @Test
  void everyLineCheckIsAnErrorNamingTheLineTheFieldAndTheValue() throws IOException {
    String good =
        "{\"taskId\":\"t\",\"platformIdempotencyKey\":\"k\",\"accountId\":\"a\","
            + "\"platform\":\"sandbox\",\"batchId\":\"b\",\"postId\":\"sbx_1\","
            + "\"publishedAt\":\"2026-03-01T12:00:00Z\"";
    assertLineError(
        good.replace("\"t\"", "42") + "}",
        "line 1 is not a sandbox post: taskId must be a string, got 42");
    assertLineError(
        good.replace(",\"postId\":\"sbx_1\"", "") + "}",
        "line 1 is not a sandbox post: postId must be a string, got null");
    assertLineError(
        good.replace("2026-03-01T12:00:00Z", "yesterday") + "}",
        "line 1 is not a sandbox post: publishedAt is not RFC 3339: 'yesterday'");
    assertLineError(
        good + ",\"text\":true}", "line 1 is not a sandbox post: text must be a string, got true");
    assertLineError(
        good + ",\"media\":\"a.png\"}",
        "line 1 is not a sandbox post: media must be an array, got \"a.png\"");
    assertLineError(
        good + ",\"media\":[1]}",
        "line 1 is not a sandbox post: media element must be an object, got 1");
    assertLineError(
        good + ",\"media\":[{\"altText\":\"a\"}]}",
        "line 1 is not a sandbox post: url must be a string, got null");
    assertLineError("[1]", "line 1 is not a sandbox post: not a JSON object: '[1]'");
    assertLineError(
        "{\"taskId\":", "line 1 is not a sandbox post: malformed JSON: Unexpected end-of-input");
  }

  private void assertLineError(String line, String message) throws IOException {
    Files.writeString(dir.resolve("posts.jsonl"), line + "\n{}\n");
    assertThatThrownBy(() -> SandboxPlatform.readPosts(dir))
        .as(line)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(dir.resolve("posts.jsonl") + " " + message);
  }

  @Test
  void createsTheSandboxDirectoryAndReadsAnEmptyOneAsNoPosts() {
    Path nested = dir.resolve("a/b");

    new SandboxPlatform(nested, CLOCK);

    assertThat(nested).isDirectory();
    assertThat(SandboxPlatform.readPosts(nested)).isEmpty();
    assertThat(SandboxPlatform.readPosts(dir.resolve("missing"))).isEmpty();
  }

  @Test
  void concurrentPublishesOfTheSameKeysAcceptEachKeyOnce() throws Exception {
    SandboxPlatform sandbox = new SandboxPlatform(dir, CLOCK);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Callable<SandboxPost>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String key = "pik_" + (i % 10);
      calls.add(() -> sandbox.publish(task("t_" + key, key, "acc_1", "x")));
    }
    List<SandboxPost> posts = new ArrayList<>();
    try {
      for (Future<SandboxPost> f : pool.invokeAll(calls)) {
        posts.add(f.get());
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(posts).filteredOn(p -> !p.duplicate()).hasSize(10);
    assertThat(posts.stream().map(SandboxPost::postId).distinct()).hasSize(10);
    assertThat(SandboxPlatform.readPosts(dir))
        .hasSize(10)
        .extracting(AcceptedPost::platformIdempotencyKey)
        .doesNotHaveDuplicates();
  }

  static PublishTask task(String taskId, String key, String accountId, String text) {
    return new PublishTask(
        taskId,
        "batch_1",
        "fp_1",
        NOW.toEpochMilli(),
        0,
        accountId,
        "key_alice",
        "sandbox",
        key,
        text,
        null,
        null,
        NOW.plusSeconds(60).toEpochMilli());
  }
}

package dev.letmepost.platform.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.PublishTask;
import dev.letmepost.wire.PublishTask.Media;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fake social platform that sends nothing off the machine: every post it accepts is one JSON line
 * of {@code <sandboxDir>/posts.jsonl}, the ground truth of what was "published".
 *
 * <p>Like Mastodon's {@code Idempotency-Key}, a second post with an already accepted platform
 * idempotency key publishes nothing and answers the first post; unlike Mastodon, the sandbox
 * remembers keys forever and across restarts. Thread-safe.
 */
public final class SandboxPlatform {
  /*
   * Durability. Each post is one line written with a single FileChannel write and no user-space
   * buffer, so when publish() returns the line is in the OS page cache: a kill -9 cannot lose it
   * (a power cut can; the sandbox does not fsync).
   *
   * Torn lines. A process killed mid-write leaves a last line without its newline. A fragment
   * that still parses as a whole post was accepted (only its newline is missing); anything else
   * never was, since publish() never returned it. Loading repairs the file before the first
   * append: the newline is added to a whole post, a fragment is cut off. Without that, the next
   * append would glue a good post onto the fragment and corrupt both.
   *
   * Scope. The dedup index is in memory, loaded once: use one instance per directory. Two
   * instances (or processes) appending to the same directory could each accept the same key.
   */

  /** The name of the ground-truth file inside the sandbox directory. */
  public static final String POSTS_FILE = "posts.jsonl";

  private static final Logger log = LoggerFactory.getLogger(SandboxPlatform.class);

  /**
   * What the sandbox answers to a publish call.
   *
   * @param uri {@code sandbox://<accountId>/<postId>}
   * @param duplicate whether the platform idempotency key had already been accepted, in which case
   *     this is the first post and nothing new was written
   */
  public record SandboxPost(String postId, String uri, Instant publishedAt, boolean duplicate) {
    public SandboxPost {
      Objects.requireNonNull(postId, "postId");
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(publishedAt, "publishedAt");
    }
  }

  /**
   * One line of the ground-truth file: a post the sandbox accepted, the line's JSON shape. {@code
   * text} and {@code firstComment} may be null; {@code media} is never null and left out when
   * empty.
   */
  public record AcceptedPost(
      String taskId,
      String platformIdempotencyKey,
      String accountId,
      String platform,
      String batchId,
      String text,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Media> media,
      String firstComment,
      String postId,
      @JsonSerialize(using = ToStringSerializer.class)
          @JsonDeserialize(using = SandboxWire.InstantText.class)
          Instant publishedAt) {
    public AcceptedPost {
      Objects.requireNonNull(taskId, "taskId");
      Objects.requireNonNull(platformIdempotencyKey, "platformIdempotencyKey");
      Objects.requireNonNull(accountId, "accountId");
      Objects.requireNonNull(platform, "platform");
      Objects.requireNonNull(batchId, "batchId");
      media = media == null ? List.of() : List.copyOf(media);
      Objects.requireNonNull(postId, "postId");
      Objects.requireNonNull(publishedAt, "publishedAt");
    }

    /** {@code sandbox://<accountId>/<postId>}. */
    public String uri() {
      return "sandbox://" + accountId + "/" + postId;
    }

    SandboxPost answer(boolean duplicate) {
      return new SandboxPost(postId, uri(), publishedAt, duplicate);
    }
  }

  /**
   * What a client asks the sandbox to publish: a {@link PublishTask}'s content, from a task in
   * process or from the body of an HTTP call. {@code text} and {@code firstComment} may be null.
   */
  public record Submission(
      String platformIdempotencyKey,
      String accountId,
      String platform,
      String taskId,
      String batchId,
      String text,
      List<Media> media,
      String firstComment) {
    public Submission {
      requireNonBlank(platformIdempotencyKey, "platformIdempotencyKey");
      requireNonBlank(accountId, "accountId");
      requireNonBlank(platform, "platform");
      requireNonBlank(taskId, "taskId");
      requireNonBlank(batchId, "batchId");
      media = media == null ? List.of() : List.copyOf(media);
      for (Media m : media) {
        Objects.requireNonNull(m, "media element");
        requireNonBlank(m.url(), "media url");
      }
    }

    /** The content of {@code task}. */
    public static Submission of(PublishTask task) {
      return new Submission(
          task.platformIdempotencyKey(),
          task.accountId(),
          task.platform(),
          task.taskId(),
          task.batchId(),
          task.text(),
          task.media(),
          task.firstComment());
    }

    private static void requireNonBlank(String value, String field) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(
            field + " must be a non-empty string, got '" + value + "'");
      }
    }
  }

  private final Path postsFile;
  private final Clock clock;
  private final Map<String, AcceptedPost> byIdempotencyKey = new HashMap<>();
  private final Set<String> postIds = new HashSet<>();

  /**
   * Opens the sandbox in {@code sandboxDir}, creating the directory, loading every post already
   * accepted there and repairing a torn last line.
   *
   * @throws IllegalStateException if a line other than the last is not a sandbox post
   */
  public SandboxPlatform(Path sandboxDir, Clock clock) {
    Objects.requireNonNull(sandboxDir, "sandboxDir");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.postsFile = sandboxDir.resolve(POSTS_FILE);
    try {
      Files.createDirectories(sandboxDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create sandbox directory " + sandboxDir, e);
    }
    Loaded loaded = load(postsFile);
    repairTail(loaded);
    for (AcceptedPost post : loaded.posts()) {
      postIds.add(post.postId());
      AcceptedPost first = byIdempotencyKey.putIfAbsent(post.platformIdempotencyKey(), post);
      if (first != null) {
        log.warn(
            "{} holds platform idempotency key '{}' twice (posts {} and {}); answering with {}",
            postsFile,
            post.platformIdempotencyKey(),
            first.postId(),
            post.postId(),
            first.postId());
      }
    }
    log.info(
        "sandbox platform at {}: {} post(s) already accepted", postsFile, loaded.posts().size());
  }

  /**
   * Publishes {@code task}, or answers the post already accepted under its platform idempotency key
   * (with {@code duplicate=true}, writing nothing).
   *
   * @throws UncheckedIOException if the post could not be written; it was then not accepted
   */
  public SandboxPost publish(PublishTask task) {
    Objects.requireNonNull(task, "task");
    return publish(Submission.of(task));
  }

  /**
   * Publishes {@code submission}, or answers the post already accepted under its platform
   * idempotency key (with {@code duplicate=true}, writing nothing, whatever the content).
   *
   * @throws UncheckedIOException if the post could not be written; it was then not accepted
   */
  public SandboxPost publish(Submission submission) {
    return publish(submission, true);
  }

  /**
   * Publishes {@code submission}; with {@code dedup} false a known platform idempotency key posts
   * again (a second line, a new post id), as a platform without idempotency would. The lookup by
   * key keeps answering the first post.
   */
  public synchronized SandboxPost publish(Submission submission, boolean dedup) {
    Objects.requireNonNull(submission, "submission");
    AcceptedPost first = byIdempotencyKey.get(submission.platformIdempotencyKey());
    if (first != null && dedup) {
      return first.answer(true);
    }
    AcceptedPost post =
        new AcceptedPost(
            submission.taskId(),
            submission.platformIdempotencyKey(),
            submission.accountId(),
            submission.platform(),
            submission.batchId(),
            submission.text(),
            submission.media(),
            submission.firstComment(),
            newPostId(),
            clock.instant());
    append(line(post));
    byIdempotencyKey.putIfAbsent(post.platformIdempotencyKey(), post);
    postIds.add(post.postId());
    return post.answer(false);
  }

  /**
   * The post already accepted under {@code platformIdempotencyKey}, answered as a duplicate, or
   * empty: how a worker reconciles a redelivered task without publishing it.
   */
  public synchronized Optional<SandboxPost> find(String platformIdempotencyKey) {
    return Optional.ofNullable(byIdempotencyKey.get(platformIdempotencyKey))
        .map(post -> post.answer(true));
  }

  /** The whole post accepted under {@code platformIdempotencyKey}, or empty. */
  public synchronized Optional<AcceptedPost> accepted(String platformIdempotencyKey) {
    return Optional.ofNullable(byIdempotencyKey.get(platformIdempotencyKey));
  }

  /**
   * Reads every post the sandbox in {@code sandboxDir} accepted, in order, duplicates included (so
   * that a test can assert that no task was published twice). A torn last line is skipped; a
   * missing file or directory reads as no posts.
   *
   * @throws IllegalStateException if a line other than the last is not a sandbox post
   */
  public static List<AcceptedPost> readPosts(Path sandboxDir) {
    return load(sandboxDir.resolve(POSTS_FILE)).posts();
  }

  private String newPostId() {
    String id;
    do {
      id = "sbx_" + UUID.randomUUID().toString().replace("-", "");
    } while (postIds.contains(id));
    return id;
  }

  private void append(byte[] line) {
    try (FileChannel channel =
        FileChannel.open(
            postsFile,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      long start = channel.size();
      try {
        ByteBuffer buffer = ByteBuffer.wrap(line);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      } catch (IOException e) {
        try {
          channel.truncate(start);
        } catch (IOException truncation) {
          e.addSuppressed(truncation);
        }
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append a post to " + postsFile, e);
    }
  }

  private void repairTail(Loaded loaded) {
    if (loaded.tailLength() == 0) {
      return;
    }
    try (FileChannel channel = FileChannel.open(postsFile, StandardOpenOption.WRITE)) {
      if (loaded.tailIsPost()) {
        log.warn("{} ends with a whole post but no newline; adding the newline", postsFile);
        channel.position(channel.size());
        channel.write(ByteBuffer.wrap(new byte[] {'\n'}));
      } else {
        log.warn(
            "{} ends with a torn line of {} byte(s), a write cut short by a crash; cutting it off",
            postsFile,
            loaded.tailLength());
        channel.truncate(loaded.completeLength());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot repair the torn last line of " + postsFile, e);
    }
  }

  static byte[] line(AcceptedPost post) {
    byte[] json = Json.write(post);
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    return line;
  }

  /**
   * The posts of a file, its length up to the end of its last newline, and the bytes after it (a
   * torn line, or a whole post whose newline was lost).
   */
  private record Loaded(
      List<AcceptedPost> posts, long completeLength, int tailLength, boolean tailIsPost) {}

  private static Loaded load(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Loaded(List.of(), 0, 0, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read sandbox posts " + file, e);
    }
    List<AcceptedPost> posts = new ArrayList<>();
    int lineStart = 0;
    int lineNumber = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        lineNumber++;
        String text = new String(bytes, lineStart, i - lineStart, StandardCharsets.UTF_8);
        if (!text.isBlank()) {
          try {
            posts.add(parse(text));
          } catch (IllegalArgumentException e) {
            throw new IllegalStateException(
                file + " line " + lineNumber + " is not a sandbox post: " + e.getMessage(), e);
          }
        }
        lineStart = i + 1;
      }
    }
    int tailLength = bytes.length - lineStart;
    boolean tailIsPost = false;
    if (tailLength > 0) {
      String tail = new String(bytes, lineStart, tailLength, StandardCharsets.UTF_8);
      try {
        posts.add(parse(tail));
        tailIsPost = true;
      } catch (IllegalArgumentException e) {
        log.warn(
            "skipping the torn last line {} of {} ({} byte(s), no newline): {}",
            lineNumber + 1,
            file,
            tailLength,
            e.getMessage());
      }
    }
    return new Loaded(List.copyOf(posts), lineStart, tailLength, tailIsPost);
  }

  /** One line as a post; the message names the offending field and value. */
  private static AcceptedPost parse(String line) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("not a JSON object: '" + line + "'");
    }
    // publishedAt first, then in the order of the line: the first problem is the one named.
    requireText(node, "publishedAt");
    requireText(node, "taskId");
    requireText(node, "platformIdempotencyKey");
    requireText(node, "accountId");
    requireText(node, "platform");
    requireText(node, "batchId");
    optionalText(node, "text");
    checkMedia(node);
    optionalText(node, "firstComment");
    requireText(node, "postId");
    String publishedAt = node.get("publishedAt").asText();
    try {
      Instant.parse(publishedAt);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("publishedAt is not RFC 3339: '" + publishedAt + "'", e);
    }
    return SandboxWire.bind(node, AcceptedPost.class);
  }

  private static void checkMedia(JsonNode node) {
    JsonNode media = node.get("media");
    if (media == null || media.isNull()) {
      return;
    }
    if (!media.isArray()) {
      throw new IllegalArgumentException("media must be an array, got " + media);
    }
    for (JsonNode item : media) {
      if (!item.isObject()) {
        throw new IllegalArgumentException("media element must be an object, got " + item);
      }
      requireText(item, "url");
      optionalText(item, "altText");
    }
  }

  private static void optionalText(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value != null && !value.isNull() && !value.isTextual()) {
      throw new IllegalArgumentException(field + " must be a string, got " + value);
    }
  }

  private static void requireText(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new IllegalArgumentException(field + " must be a string, got " + value);
    }
  }
}

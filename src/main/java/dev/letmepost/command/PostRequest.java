package dev.letmepost.command;

import dev.letmepost.wire.Platform;
import dev.letmepost.wire.PublishTask.Media;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A validated {@code POST /v1/posts} body (docs/contract.md#the-request-body). Only {@link
 * Preflight} builds one, from the exact body bytes.
 *
 * @param scheduledAt null to publish now
 */
public record PostRequest(
    List<Target> targets,
    String text,
    List<Media> media,
    String firstComment,
    Instant scheduledAt) {

  /** One requested target: an account by id, or the principal's default account on a platform. */
  public record Target(String accountId, Platform platform) {
    public Target {
      if ((accountId == null) == (platform == null)) {
        throw new IllegalArgumentException("a target names exactly one of accountId and platform");
      }
    }
  }

  public PostRequest {
    targets = List.copyOf(targets);
    Objects.requireNonNull(text, "text");
    media = List.copyOf(media);
  }
}

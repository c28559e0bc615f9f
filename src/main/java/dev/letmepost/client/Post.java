package dev.letmepost.client;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The body of {@code POST /v1/posts} (docs/contract.md#the-request-body), built with {@link
 * #builder()} and written by {@link #toJson()}. The structure is enforced here (each target names
 * exactly one of an account and a platform); the content rules (how many targets, lengths, URLs,
 * how far ahead {@code scheduledAt} may be) are the ledger's, which answers {@code 400
 * preflight_failed} listing every problem.
 *
 * @param text null when {@code media} is given instead
 * @param firstComment null for none
 * @param scheduledAt null to publish at once
 */
@JsonPropertyOrder({"targets", "text", "media", "firstComment", "scheduledAt"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Post(
    List<Target> targets,
    String text,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Media> media,
    String firstComment,
    Instant scheduledAt) {

  /** One target: an account by id, or the principal's default account on a platform. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Target(String accountId, String platform) {
    public Target {
      if ((accountId == null) == (platform == null)) {
        throw new IllegalArgumentException(
            "a target names exactly one of accountId and platform, got accountId="
                + accountId
                + ", platform="
                + platform);
      }
    }

    /** The account {@code accountId}. */
    public static Target account(String accountId) {
      return new Target(Objects.requireNonNull(accountId, "accountId"), null);
    }

    /** The principal's default account on {@code platform}, by its wire name ({@code bluesky}). */
    public static Target platform(String platform) {
      return new Target(null, Objects.requireNonNull(platform, "platform"));
    }
  }

  /**
   * One media item.
   *
   * @param altText null for none
   */
  @JsonPropertyOrder({"url", "altText"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Media(String url, String altText) {
    public Media {
      Objects.requireNonNull(url, "url");
    }
  }

  public Post {
    targets = List.copyOf(targets);
    media = List.copyOf(media);
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("a post needs at least one target");
    }
    if (text == null && media.isEmpty()) {
      throw new IllegalArgumentException("a post needs text, media or both");
    }
  }

  /** The exact body bytes to send: JSON, properties in contract order, nulls left out. */
  public byte[] toJson() {
    return ClientJson.write(this);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link Post}; targets and media keep the order they were added in. */
  public static final class Builder {
    private final List<Target> targets = new ArrayList<>();
    private final List<Media> media = new ArrayList<>();
    private String text;
    private String firstComment;
    private Instant scheduledAt;

    private Builder() {}

    /** Adds the account {@code accountId} as a target. */
    public Builder account(String accountId) {
      targets.add(Target.account(accountId));
      return this;
    }

    /** Adds the principal's default account on {@code platform} ({@code bluesky}) as a target. */
    public Builder platform(String platform) {
      targets.add(Target.platform(platform));
      return this;
    }

    public Builder text(String text) {
      this.text = text;
      return this;
    }

    /** Adds a media item without alt text. */
    public Builder media(String url) {
      return media(url, null);
    }

    public Builder media(String url, String altText) {
      media.add(new Media(url, altText));
      return this;
    }

    public Builder firstComment(String firstComment) {
      this.firstComment = firstComment;
      return this;
    }

    /** Publish at {@code at} instead of at once. */
    public Builder scheduledAt(Instant at) {
      this.scheduledAt = at;
      return this;
    }

    /**
     * The post.
     *
     * @throws IllegalArgumentException without target, or without both text and media
     */
    public Post build() {
      return new Post(targets, text, media, firstComment, scheduledAt);
    }
  }
}

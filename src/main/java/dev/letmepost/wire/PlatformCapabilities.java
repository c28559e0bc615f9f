package dev.letmepost.wire;

import java.text.BreakIterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one platform (as its connector publishes to it) can take: the text limit and how text is
 * counted, how many media items a post carries, whether media can be given by URL (this product's
 * only form of media), and whether a first comment can be posted. The ledger decides every target
 * on these before fanning it out; a connector reads the same values in its defensive check.
 *
 * @param textLimit the most characters a post takes, counted by {@code counting}
 * @param counting how the platform counts text
 * @param maxMedia the most media items one post carries on the platform
 * @param mediaByUrl whether the connector can post media given by URL (false: the platform takes
 *     media only as uploads, which the connector does not make, so any media is refused)
 * @param firstComment whether the connector posts a first comment
 * @param mediaRule the end of the refusal message for media this platform cannot take
 * @param commentRule the end of the refusal message for a first comment, or null when supported
 */
public record PlatformCapabilities(
    int textLimit,
    Counting counting,
    int maxMedia,
    boolean mediaByUrl,
    boolean firstComment,
    String mediaRule,
    String commentRule) {

  public PlatformCapabilities {
    if (textLimit <= 0 || maxMedia < 0 || counting == null || mediaRule == null) {
      throw new IllegalArgumentException("incomplete platform capabilities");
    }
    if (!firstComment && commentRule == null) {
      throw new IllegalArgumentException("a platform without first comments needs the rule");
    }
  }

  /** The length of {@code text} as this platform counts it. */
  public int length(String text) {
    return counting.length(text);
  }

  /**
   * Why content cannot be posted as it is, or empty when it can: more media than the platform
   * takes, media where only uploads are taken, a first comment where none is posted. The text limit
   * is not checked here (its code is {@code text_too_long}, not {@code unsupported_content}).
   *
   * @param subject what the message is about, e.g. {@code task t_1} or {@code targets[2]}
   * @param firstComment may be null; a blank first comment counts as none
   */
  public Optional<String> refusal(
      String subject, List<PublishTask.Media> media, String firstComment) {
    int count = media == null ? 0 : media.size();
    if (count > 0 && (!mediaByUrl || count > maxMedia)) {
      return Optional.of(subject + " has " + count + " media URL(s); " + mediaRule);
    }
    if (!this.firstComment && firstComment != null && !firstComment.isBlank()) {
      return Optional.of(subject + " has a firstComment; " + commentRule);
    }
    return Optional.empty();
  }

  /** How a platform measures text length. */
  public enum Counting {
    CODE_POINTS {
      @Override
      int length(String text) {
        return text.codePointCount(0, text.length());
      }
    },
    GRAPHEMES {
      @Override
      int length(String text) {
        BreakIterator it = BreakIterator.getCharacterInstance(Locale.ROOT);
        it.setText(text);
        int count = 0;
        while (it.next() != BreakIterator.DONE) {
          count++;
        }
        return count;
      }
    },
    /**
     * twitter-text v3 weighting: code points in the Latin and general punctuation ranges weigh 1,
     * everything else (CJK, emoji) weighs 2; each URL counts as 23.
     */
    TWITTER_WEIGHTED {
      @Override
      int length(String text) {
        Matcher urls = URL.matcher(text);
        int weight = 0;
        int from = 0;
        while (urls.find()) {
          weight += weigh(text, from, urls.start()) + 23;
          from = urls.end();
        }
        return weight + weigh(text, from, text.length());
      }

      private int weigh(String text, int from, int to) {
        int weight = 0;
        for (int i = from; i < to; ) {
          int cp = text.codePointAt(i);
          boolean light =
              cp <= 4351
                  || (cp >= 8192 && cp <= 8205)
                  || (cp >= 8208 && cp <= 8223)
                  || (cp >= 8242 && cp <= 8247);
          weight += light ? 1 : 2;
          i += Character.charCount(cp);
        }
        return weight;
      }
    };

    private static final Pattern URL = Pattern.compile("https?://[^\\s]+");

    abstract int length(String text);
  }
}

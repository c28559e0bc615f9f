package dev.letmepost.wire;

import java.text.BreakIterator;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A social platform the product publishes to, with the text limit the ledger checks before fanning
 * a target out.
 *
 * <p>Each platform has its own producer topic {@code <prefix>publish.<name>}. Text length is
 * measured the way the platform measures it: code points for most, graphemes for Bluesky, the
 * weighted count of twitter-text for X.
 */
public enum Platform {
  TWITTER("twitter", 280, Counting.TWITTER_WEIGHTED),
  LINKEDIN("linkedin", 3000, Counting.CODE_POINTS),
  BLUESKY("bluesky", 300, Counting.GRAPHEMES),
  MASTODON("mastodon", 500, Counting.CODE_POINTS),
  THREADS("threads", 500, Counting.CODE_POINTS),
  TELEGRAM("telegram", 4096, Counting.CODE_POINTS),
  DISCORD("discord", 2000, Counting.CODE_POINTS),
  SLACK("slack", 3000, Counting.CODE_POINTS),
  SANDBOX("sandbox", 10_000, Counting.CODE_POINTS);

  private final String wireName;
  private final int textLimit;
  private final Counting counting;

  Platform(String wireName, int textLimit, Counting counting) {
    this.wireName = wireName;
    this.textLimit = textLimit;
    this.counting = counting;
  }

  /** The name used on the wire, in topic names and in the envelope. */
  public String wireName() {
    return wireName;
  }

  public int textLimit() {
    return textLimit;
  }

  /** The length of {@code text} as this platform counts it. */
  public int length(String text) {
    return counting.length(text);
  }

  /** Looks a platform up by its wire name; {@code x} is accepted for twitter. */
  public static Optional<Platform> byName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("x")) {
      return Optional.of(TWITTER);
    }
    return Arrays.stream(values()).filter(p -> p.wireName.equals(n)).findFirst();
  }

  private enum Counting {
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
        java.util.regex.Matcher urls = URL.matcher(text);
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

    private static final java.util.regex.Pattern URL =
        java.util.regex.Pattern.compile("https?://[^\\s]+");

    abstract int length(String text);
  }
}

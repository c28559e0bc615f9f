package dev.letmepost.command;

/**
 * The size limits that hold end to end: every record the ledger derives from a command it accepts
 * fits under {@link #MAX_RECORD_BYTES}, whatever the command holds.
 *
 * <p>How the budget adds up, worst case, for the largest record the ledger writes (the replay
 * record of a batch of 25 targets, after every outcome was folded in; every batch keeps its post
 * content, which a retry of its failed targets needs): the post content kept once (text 40,000 code
 * points, at most 4 bytes each when serialized, as control characters other than tab, newline and
 * carriage return are refused; first comment 10,000; 10 media of a 2,048-character URL and 2,000
 * code points of alt text) is about 290 KB; 25 target states with capped outcome fields ({@link
 * #MAX_POST_ID_CHARS}, {@link #MAX_URI_CHARS}, {@link #MAX_ERROR_MESSAGE_CHARS}) and the recorded
 * envelope holding the same results, its bytes stored as they are ({@code
 * ledger.ReplayRecordCodec}), together about 650 KB at worst: an outcome character costs at most 7
 * bytes, 1 to 3 as UTF-8 in the state and at most 6 escaped in the envelope's JSON; in all under
 * {@link #MAX_RECORD_BYTES}, which {@code ReplayRecordSizeTest} checks on that record. (The
 * record's earlier JSON format base64-encoded the envelope and escaped the states too: 1.3 MB for
 * the outcomes alone.) A body larger than {@link #MAX_BODY_BYTES} is answered {@code 413
 * body_too_large} and nothing is recorded; the repartitioned command (body plus bounded headers)
 * stays under the producer's {@code max.request.size}.
 */
public final class Limits {
  /**
   * The largest command body the ledger decides; the gateway's --max-body-bytes cannot exceed it.
   */
  public static final int MAX_BODY_BYTES = 512 * 1024;

  /**
   * The ceiling of every record value the ledger writes (topics and changelogs): below the
   * producer's {@code max.request.size} (1 MiB) and the broker's default {@code message.max.bytes}.
   */
  public static final int MAX_RECORD_BYTES = 1_000_000;

  /** The producer request size the ledger and gateway are configured with. */
  public static final int MAX_REQUEST_SIZE = 1024 * 1024;

  /** {@code max.message.bytes} of the commands topic as the product creates it. */
  public static final int COMMANDS_TOPIC_MAX_MESSAGE_BYTES =
      dev.letmepost.wire.Topics.COMMANDS_MAX_MESSAGE_BYTES;

  public static final int MAX_TEXT_CODE_POINTS = 40_000;
  public static final int MAX_FIRST_COMMENT_CODE_POINTS = 10_000;
  public static final int MAX_URL_CHARS = 2_048;
  public static final int MAX_ALT_TEXT_CODE_POINTS = 2_000;
  public static final int MAX_ACCOUNT_ID_CHARS = 128;

  /** Command headers. */
  public static final int MAX_PRINCIPAL_CHARS = 256;

  public static final int MAX_METHOD_CHARS = 16;
  public static final int MAX_PATH_CHARS = 2_048;
  public static final int MAX_REQUEST_ID_CHARS = 200;

  /** Outcome fields as the ledger keeps them (longer ones are cut). */
  public static final int MAX_POST_ID_CHARS = 512;

  public static final int MAX_URI_CHARS = 2_048;
  public static final int MAX_ERROR_CODE_CHARS = 64;
  public static final int MAX_ERROR_MESSAGE_CHARS = 1_024;

  /** An offending value echoed in an error message is cut to this many characters. */
  public static final int MAX_ECHO_CHARS = 64;

  /** A platform name longer than this is unknown without being looked up. */
  public static final int MAX_PLATFORM_NAME_CHARS = 32;

  /** A {@code scheduledAt} longer than this is not a timestamp. */
  public static final int MAX_TIMESTAMP_CHARS = 64;

  /** Field errors reported per body; the rest are counted in one {@code too_many_errors}. */
  public static final int MAX_FIELD_ERRORS = 50;

  /** A JSON parser's own message about a malformed body is cut to this many characters. */
  public static final int MAX_PARSER_MESSAGE_CHARS = 256;

  private Limits() {}

  /**
   * {@code s} cut to at most {@code max} characters (never inside a surrogate pair), with the
   * original length named when it was cut; null stays null.
   */
  public static String cut(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = max;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "...(" + s.length() + " chars)";
  }

  /** An offending value as an error message echoes it: cut to {@link #MAX_ECHO_CHARS}. */
  public static String echo(Object value) {
    return cut(String.valueOf(value), MAX_ECHO_CHARS);
  }
}

package dev.letmepost.webhook;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The {@code Lmp-Signature} header of a delivery: {@code t=<unix seconds>,v1=<hex
 * HMAC-SHA256(secret, "<t>.<body>")>}, the secret being the endpoint's whole {@code whsec_…} string
 * as UTF-8. {@link #verify} is what a receiver does (docs/webhooks.md#verifying-a-signature).
 */
public final class WebhookSignature {
  public static final String HEADER = "Lmp-Signature";
  public static final String EVENT_ID_HEADER = "Lmp-Event-Id";

  /** How far a signature's {@code t} may be from the receiver's clock. */
  public static final Duration TOLERANCE = Duration.ofMinutes(5);

  private WebhookSignature() {}

  /** The header value signing {@code body} at {@code unixSeconds}. */
  public static String header(String secret, long unixSeconds, byte[] body) {
    return "t=" + unixSeconds + ",v1=" + v1(secret, unixSeconds, body);
  }

  static String v1(String secret, long unixSeconds, byte[] body) {
    byte[] prefix = (unixSeconds + ".").getBytes(StandardCharsets.US_ASCII);
    byte[] signed = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, signed, 0, prefix.length);
    System.arraycopy(body, 0, signed, prefix.length, body.length);
    return HexFormat.of()
        .formatHex(SigningKey.hmac(secret.getBytes(StandardCharsets.UTF_8), signed));
  }

  /**
   * Whether {@code header} is a valid signature of {@code body} under {@code secret}, made within
   * {@code tolerance} of {@code now}; the comparison takes constant time.
   */
  public static boolean verify(
      String secret, String header, byte[] body, Instant now, Duration tolerance) {
    if (header == null) {
      return false;
    }
    Long t = null;
    String v1 = null;
    for (String part : header.split(",", -1)) {
      String p = part.trim();
      if (p.startsWith("t=")) {
        try {
          t = Long.parseLong(p.substring(2));
        } catch (NumberFormatException e) {
          return false;
        }
      } else if (p.startsWith("v1=")) {
        v1 = p.substring(3);
      }
    }
    if (t == null || v1 == null) {
      return false;
    }
    if (Math.abs(now.getEpochSecond() - t) > tolerance.toSeconds()) {
      return false;
    }
    return MessageDigest.isEqual(
        v1(secret, t, body).getBytes(StandardCharsets.US_ASCII),
        v1.getBytes(StandardCharsets.US_ASCII));
  }
}

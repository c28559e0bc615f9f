package dev.letmepost.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Times as the API writes them, in bodies and headers: RFC 3339, UTC, milliseconds. */
public final class Rfc3339 {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Rfc3339() {}

  public static String format(Instant t) {
    return FORMAT.format(t);
  }

  public static String format(long epochMillis) {
    return format(Instant.ofEpochMilli(epochMillis));
  }
}

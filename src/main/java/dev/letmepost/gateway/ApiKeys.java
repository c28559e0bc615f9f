package dev.letmepost.gateway;

import dev.letmepost.command.Hashing;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * The API key format and its one-way id: a key is {@code lmp_live_} plus 32 base62 characters (190
 * random bits); the registry and every log know it only by its SHA-256, lower-case hex.
 */
public final class ApiKeys {
  public static final String PREFIX = "lmp_live_";
  private static final String BASE62 =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final int RANDOM_CHARS = 32;
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

  /** What a bearer secret may look like: 16-256 characters of RFC 6750's b64token alphabet. */
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]{16,256}=*");

  private ApiKeys() {}

  /** A new random key. */
  public static String generate(SecureRandom random) {
    StringBuilder key = new StringBuilder(PREFIX);
    for (int i = 0; i < RANDOM_CHARS; i++) {
      key.append(BASE62.charAt(random.nextInt(BASE62.length())));
    }
    return key.toString();
  }

  /** The id the registry knows a key by: SHA-256 of its UTF-8 bytes, lower-case hex. */
  public static String hash(String secret) {
    return Hashing.sha256Hex(secret.getBytes(StandardCharsets.UTF_8));
  }

  /** True when {@code value} is already a key's hash rather than a key. */
  public static boolean isHash(String value) {
    return SHA256_HEX.matcher(value).matches();
  }

  /**
   * Checks that {@code secret} can be sent as a bearer token; the message never repeats the secret.
   */
  public static String requireUsable(String secret, String source) {
    if (secret == null || !TOKEN.matcher(secret).matches()) {
      throw new IllegalArgumentException(
          source
              + " must be 16-256 characters of A-Z a-z 0-9 - . _ ~ + / (got "
              + (secret == null ? "nothing" : secret.length() + " characters")
              + ")");
    }
    return secret;
  }
}

package dev.letmepost.webhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The server's webhook signing key, read from a file given by reference: every endpoint's signing
 * secret is derived from it, {@code whsec_} + base64url(HMAC-SHA256(key, "lmp-webhook-endpoint:" +
 * endpoint id)), so no secret is stored or travels in a topic (docs/webhooks.md#secrets).
 */
public final class SigningKey {
  /** The shortest key accepted, in bytes (HMAC-SHA256's block is 64, its output 32). */
  public static final int MIN_BYTES = 32;

  /** Where demo mode keeps its generated key, under the data directory. */
  public static final String DEMO_FILE = "webhooks/signing-key";

  /** The environment variable naming the key file when no flag is given. */
  public static final String ENV = "LMP_WEBHOOK_SIGNING_KEY_FILE";

  private final byte[] key;

  private SigningKey(byte[] key) {
    if (key.length < MIN_BYTES) {
      throw new IllegalArgumentException(
          "a webhook signing key must be at least " + MIN_BYTES + " bytes, got " + key.length);
    }
    this.key = key.clone();
  }

  /** A key of exactly these bytes (tests). */
  public static SigningKey of(byte[] key) {
    return new SigningKey(key);
  }

  /**
   * The key in {@code file}: its bytes without trailing whitespace (a newline an editor added is
   * not part of the key).
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or is too short
   */
  public static SigningKey load(Path file) {
    byte[] raw;
    try {
      raw = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the webhook signing key file " + file + ": " + e, e);
    }
    int end = raw.length;
    while (end > 0 && Character.isWhitespace(raw[end - 1])) {
      end--;
    }
    byte[] key = Arrays.copyOf(raw, end);
    if (key.length < MIN_BYTES) {
      throw new IllegalArgumentException(
          "the webhook signing key file "
              + file
              + " holds "
              + key.length
              + " bytes; at least "
              + MIN_BYTES
              + " are needed (e.g. head -c 32 /dev/urandom | base64 > "
              + file
              + ")");
    }
    return new SigningKey(key);
  }

  /**
   * Demo mode's key: {@code dataDir/webhooks/signing-key}, created with 32 random bytes (base64url)
   * readable by the owner only when it does not exist yet, and kept across restarts.
   */
  public static SigningKey demo(Path dataDir) {
    Path file = dataDir.resolve(DEMO_FILE);
    if (!Files.exists(file)) {
      byte[] random = new byte[MIN_BYTES];
      new SecureRandom().nextBytes(random);
      byte[] text =
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(random)
              .getBytes(StandardCharsets.US_ASCII);
      try {
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), "signing-key", ".tmp");
        try {
          Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: the data directory's own permissions apply
        }
        Files.write(tmp, text);
        try {
          Files.move(tmp, file);
        } catch (FileAlreadyExistsException e) {
          Files.delete(tmp); // another process created it first: use theirs
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the demo webhook signing key " + file, e);
      }
    }
    return load(file);
  }

  /** The signing secret of endpoint {@code endpointId}: the same on every instance, every time. */
  public String secretFor(String endpointId) {
    return "whsec_"
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(hmac(key, "lmp-webhook-endpoint:" + endpointId));
  }

  static byte[] hmac(byte[] key, String message) {
    return hmac(key, message.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] hmac(byte[] key, byte[] message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "SigningKey[" + key.length + " bytes]";
  }
}

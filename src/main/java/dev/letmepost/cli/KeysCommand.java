package dev.letmepost.cli;

import dev.letmepost.gateway.ApiKeyRecord;
import dev.letmepost.gateway.ApiKeyWriter;
import dev.letmepost.gateway.ApiKeys;
import dev.letmepost.wire.Json;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Instant;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lmp keys create|revoke}: manages the API keys of the HTTP gateway. */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "Manage the HTTP gateway's API keys (lmp.api-keys).",
    subcommands = {KeysCommand.Create.class, KeysCommand.Revoke.class})
final class KeysCommand extends UsageCommand {
  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create an API key for a principal and print it (once: only its hash is kept).")
  static final class Create extends ClientCommand {

    @Option(
        names = "--principal",
        required = true,
        description = "the principal the key acts for, e.g. key_alice")
    String principal;

    @Option(
        names = "--require-idempotency-key",
        description =
            "refuse this key's writes without an Idempotency-Key (400 idempotency_key_required)")
    boolean requireIdempotencyKey;

    @Override
    public Integer call() {
      String secret = ApiKeys.generate(new SecureRandom());
      String hash = ApiKeys.hash(secret);
      ApiKeyRecord record = ApiKeyRecord.active(principal, Instant.now());
      ApiKeyWriter.write(
          kafka.settings(),
          kafka.topics(),
          hash,
          requireIdempotencyKey ? record.requiringIdempotencyKey() : record);
      PrintWriter out = out();
      out.println(secret);
      out.println("principal: " + principal);
      out.println("sha256: " + hash);
      out.println(
          "store the key now: it is not shown again (revoke with: lmp keys revoke " + hash + ")");
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke an API key, given as the key itself or its SHA-256 (hex).")
  static final class Revoke extends ClientCommand {

    @Parameters(index = "0", paramLabel = "KEY_OR_SHA256", description = "the key or its SHA-256")
    String keyOrHash;

    @Override
    public Integer call() {
      String hash = ApiKeys.isHash(keyOrHash) ? keyOrHash : ApiKeys.hash(keyOrHash);
      ApiKeyRecord current = null;
      for (ConsumerRecord<String, byte[]> r :
          TopicReader.readAll(kafka.settings(), kafka.topics().apiKeys().name())) {
        if (hash.equals(r.key())) {
          current = r.value() == null ? null : Json.read(r.value(), ApiKeyRecord.class);
        }
      }
      if (current == null) {
        throw new IllegalArgumentException("no API key with sha256 " + hash);
      }
      PrintWriter out = out();
      if (current.status() == ApiKeyRecord.Status.revoked) {
        out.println(
            "API key sha256 "
                + hash
                + " (principal "
                + current.principal()
                + ") was already revoked at "
                + current.revokedAt());
        return 0;
      }
      ApiKeyWriter.write(kafka.settings(), kafka.topics(), hash, current.revoked(Instant.now()));
      out.println("revoked API key sha256 " + hash + " (principal " + current.principal() + ")");
      out.flush();
      return 0;
    }
  }
}

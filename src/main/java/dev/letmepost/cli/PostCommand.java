package dev.letmepost.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.letmepost.client.Answer;
import dev.letmepost.wire.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code lmp post}: produces one post command and prints its answer from the results topic. Exit
 * code 0 for a 2xx answer, 1 for another answer, 2 when none arrived in time.
 */
@Command(
    name = "post",
    mixinStandardHelpOptions = true,
    description = "Send a post command and print the answer (status, replayed flag, body).")
final class PostCommand extends ClientCommand {
  @Option(
      names = "--principal",
      required = true,
      description = "the API key id the command acts for")
  String principal;

  @Option(names = "--idempotency-key", description = "replay protection for 24 h; absent = none")
  String idempotencyKey;

  @Option(names = "--request-id", description = "correlation id (default: a new req_<uuid>)")
  String requestId;

  @Option(
      names = "--timeout",
      defaultValue = "PT30S",
      description = "how long to wait for the answer (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Body body;

  static final class Body {
    @ArgGroup(exclusive = false)
    Built built;

    @Option(
        names = "--body-file",
        description = "send this file's exact bytes as the body ('-' for stdin)")
    Path bodyFile;
  }

  static final class Built {
    @Option(names = "--target", description = "an account id to publish to (repeatable)")
    List<String> accounts = List.of();

    @Option(
        names = "--platform",
        description = "the principal's default account on this platform (repeatable)")
    List<String> platforms = List.of();

    @Option(names = "--text", required = true, description = "the post text")
    String text;
  }

  @Override
  public Integer call() throws Exception {
    byte[] bytes = body.bodyFile != null ? readBody(body.bodyFile) : build(body.built);
    String id = requestId != null ? requestId : dev.letmepost.client.Command.newRequestId();
    Optional<Answer> answer;
    try (PostClient client = new PostClient(kafka.settings(), kafka.topics())) {
      answer = client.post(principal, idempotencyKey, id, bytes, timeout);
    }
    if (answer.isEmpty()) {
      err()
          .println(
              "lmp post: no answer to request "
                  + id
                  + " within "
                  + timeout
                  + "; the command was sent: retry with the same --idempotency-key to get its answer");
      return 2;
    }
    Answer a = answer.get();
    java.io.PrintWriter out = out();
    out.println("status: " + a.status());
    out.println("replayed: " + a.replayed());
    out.println("request-id: " + a.requestId());
    if (a.idempotencyKey() != null) {
      out.println("idempotency-key: " + a.idempotencyKey());
    }
    if (a.batchId() != null) {
      out.println("batch: " + a.batchId());
    }
    if (a.keyExpires() != null) {
      out.println("key-expires: " + a.keyExpires());
    }
    out.println(a.bodyText());
    out.flush();
    return a.ok() ? 0 : 1;
  }

  private static byte[] readBody(Path file) throws java.io.IOException {
    return file.toString().equals("-") ? System.in.readAllBytes() : Files.readAllBytes(file);
  }

  static byte[] build(Built b) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ArrayNode targets = root.putArray("targets");
    b.accounts.forEach(a -> targets.addObject().put("accountId", a));
    b.platforms.forEach(p -> targets.addObject().put("platform", p));
    root.put("text", b.text);
    return Json.write(root);
  }
}

package dev.letmepost.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/**
 * The {@code --sandbox-url} option of the commands that run publishers: a sandbox platform that
 * takes every platform's tasks instead of the real APIs.
 */
final class SandboxUrlOption {
  @Option(
      names = "--sandbox-url",
      paramLabel = "URL",
      description =
          "send every task to the sandbox platform at this URL (see lmp sandbox) instead of the"
              + " real APIs, for demos and tests; serve takes it outside demo mode, which runs its"
              + " own sandbox")
  URI url;
}

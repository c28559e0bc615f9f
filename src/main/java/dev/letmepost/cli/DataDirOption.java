package dev.letmepost.cli;

import dev.letmepost.webhook.SigningKey;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data-dir} option: the directory of the process's local files. */
final class DataDirOption {
  @Option(
      names = "--data-dir",
      paramLabel = "<dataDir>",
      defaultValue = "${env:LMP_DATA_DIR:-./data}",
      description =
          "where this process keeps its local files, those of: the embedded broker (kafka/), the"
              + " ledger (streams/, a cache of its changelogs), the sandbox platform"
              + " (sandbox/posts.jsonl), demo mode's webhook signing key ("
              + SigningKey.DEMO_FILE
              + ") (default: ${DEFAULT-VALUE}; env LMP_DATA_DIR)")
  Path path;
}

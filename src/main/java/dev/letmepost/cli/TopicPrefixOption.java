package dev.letmepost.cli;

import dev.letmepost.wire.Topics;
import picocli.CommandLine.Option;

/**
 * The {@code --topic-prefix} option of every command that uses the topics: the prefix of every
 * topic and of the ledger's application id ({@code <prefix>ledger}).
 */
final class TopicPrefixOption {
  /*
   * One declaration for every command: the roles of one deployment must agree on the prefix, and
   * LMP_TOPIC_PREFIX is its default for all of them (it once was for the client commands and the
   * publisher only, so a publisher read other topics than the ledger it was deployed with).
   */

  @Option(
      names = "--topic-prefix",
      paramLabel = "<topicPrefix>",
      defaultValue = "${env:LMP_TOPIC_PREFIX:-lmp.}",
      description = "topic name prefix (default: ${DEFAULT-VALUE}; env LMP_TOPIC_PREFIX)")
  String prefix;

  Topics topics() {
    return new Topics(prefix);
  }
}

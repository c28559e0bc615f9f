package dev.letmepost.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that does one thing as a client of the cluster and ends ({@code post}, {@code
 * accounts}, {@code keys}, {@code webhooks add|list|remove}): the Kafka options, and the command
 * line's output and error writers it prints on.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin KafkaOptions kafka;

  @Spec CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }
}

package dev.letmepost;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static java.util.stream.Collectors.toCollection;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The package graph of the production code (tests may reach anything: the ITs start the broker, the
 * CLI and the sandbox). Today's graph, found with {@code jdeps -verbose:package} on target/classes:
 *
 * <pre>
 * client      -> (nothing: the JDK, kafka-clients, Jackson, SLF4J)  (the producers' and consumers'
 *                                             library; every package may use it)
 * wire        -> client
 * net         -> (nothing)                    (the outbound address policy: AddressGuard)
 * lanes       -> (nothing)                    (per-key lanes of work: Lanes)
 * command     -> client, wire
 * http        -> client, command, wire        (the HTTP side of the contract)
 * ledger      -> command, http, wire
 * publish     -> lanes, net, wire             (the connector SPI: Connector, PlatformHttp, ...)
 * broker      -> wire
 * webhook     -> http, lanes, net, wire           (webhook endpoints, signing, the dispatcher)
 * gateway     -> command, http, ledger, net, webhook, wire
 * platform    -> net, platform.*, publish, wire    (Connectors, the registry)
 * platform.*  -> net, publish, wire                (never the registry above them: no cycle)
 * bench       -> command, gateway, ledger, wire (lmp bench: the ledger, its gateway, the baselines;
 *                                             command: it keys commands by fingerprint, as the gateway)
 * cli         -> bench, broker, gateway, ledger, net, platform, platform.sandbox, publish, webhook, wire
 * </pre>
 *
 * bench gets its broker, topics and sandbox publishers from cli (BenchCommand), so the broker stays
 * cli's alone and no platform package is reached from outside the registry and cli.
 *
 * <p>A new edge is a decision: add it to {@link #packageGraph} together with the change that needs
 * it.
 */
@AnalyzeClasses(packages = "dev.letmepost", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  private static final String PROJECT = "dev.letmepost..";
  private static final String CONNECTOR_PACKAGES = "dev.letmepost.platform.*..";
  private static final Path SOURCES = Path.of("src/main/java");
  private static final Pattern JAVADOC =
      Pattern.compile("/\\*\\*(.*?)\\*/\\s*package\\s", Pattern.DOTALL);
  private static final Pattern LINK = Pattern.compile("\\{@link(?:plain)?\\s+([^\\s}#(]+)");

  /**
   * The client library, below every layer of {@link #packageGraph} (which leaves it out, so that
   * any layer may use it): its own rules are {@link #clientIsALibraryOfItsOwn}.
   */
  private static final String CLIENT = "dev.letmepost.client..";

  @ArchTest
  static final ArchRule wireIsTheBottom =
      noClasses()
          .that()
          .resideInAPackage("dev.letmepost.wire..")
          .should()
          .dependOnClassesThat(
              resideInAPackage(PROJECT)
                  .and(resideOutsideOfPackages("dev.letmepost.wire..", CLIENT)))
          .as("wire (the contract) depends on no other project package but client");

  @ArchTest
  static final ArchRule cliIsTheTop =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.letmepost.cli..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.letmepost.cli..")
          .as("nothing depends on cli");

  /**
   * Each package is its own slice ({@code (**)}, not {@code (*)..}): a cycle between {@code
   * platform} and a {@code platform.<name>} below it is a cycle too.
   */
  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("dev.letmepost.(**)").should().beFreeOfCycles();

  @ArchTest
  static final ArchRule connectorsOnlyThroughTheSpi =
      noClasses()
          .that()
          .resideOutsideOfPackages("dev.letmepost.platform..", "dev.letmepost.cli..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage(CONNECTOR_PACKAGES)
          .as(
              "a platform.<name> package is reached only through the connector SPI (publish.Connector)"
                  + " and the registry platform.Connectors; cli alone also starts the sandbox");

  @ArchTest
  static final ArchRule connectorsAreIndependent =
      slices()
          .matching("dev.letmepost.platform.(*)..")
          .should()
          .notDependOnEachOther()
          .as("no platform.<name> package depends on another");

  @ArchTest
  static final ArchRule theSpiDoesNotKnowItsConnectors =
      noClasses()
          .that()
          .resideInAPackage("dev.letmepost.publish..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.letmepost.platform..")
          .as("publish (the connector SPI and the workers) depends on no platform package");

  @ArchTest
  static final ArchRule brokerOnlyForCli =
      classes()
          .that()
          .resideInAPackage("dev.letmepost.broker..")
          .should()
          .onlyHaveDependentClassesThat()
          .resideInAnyPackage("dev.letmepost.broker..", "dev.letmepost.cli..")
          .as("the embedded broker is used only by cli (and by tests)");

  /** Today's graph, edge for edge; see the class comment. */
  @ArchTest
  static final ArchRule packageGraph =
      layeredArchitecture()
          .consideringOnlyDependenciesInLayers()
          .ensureAllClassesAreContainedInArchitectureIgnoring(CLIENT)
          .layer("wire")
          .definedBy("dev.letmepost.wire..")
          .layer("net")
          .definedBy("dev.letmepost.net..")
          .layer("lanes")
          .definedBy("dev.letmepost.lanes..")
          .layer("command")
          .definedBy("dev.letmepost.command..")
          .layer("http")
          .definedBy("dev.letmepost.http..")
          .layer("ledger")
          .definedBy("dev.letmepost.ledger..")
          .layer("publish")
          .definedBy("dev.letmepost.publish..")
          .layer("broker")
          .definedBy("dev.letmepost.broker..")
          .layer("webhook")
          .definedBy("dev.letmepost.webhook..")
          .layer("gateway")
          .definedBy("dev.letmepost.gateway..")
          .layer("platform registry")
          .definedBy("dev.letmepost.platform")
          .layer("connectors")
          .definedBy(CONNECTOR_PACKAGES)
          .layer("bench")
          .definedBy("dev.letmepost.bench..")
          .layer("cli")
          .definedBy("dev.letmepost.cli..")
          .whereLayer("wire")
          .mayNotAccessAnyLayer()
          .whereLayer("net")
          .mayNotAccessAnyLayer()
          .whereLayer("lanes")
          .mayNotAccessAnyLayer()
          .whereLayer("command")
          .mayOnlyAccessLayers("wire")
          .whereLayer("http")
          .mayOnlyAccessLayers("command", "wire")
          .whereLayer("ledger")
          .mayOnlyAccessLayers("command", "http", "wire")
          .whereLayer("publish")
          .mayOnlyAccessLayers("lanes", "net", "wire")
          .whereLayer("broker")
          .mayOnlyAccessLayers("wire")
          .whereLayer("webhook")
          .mayOnlyAccessLayers("http", "lanes", "net", "wire")
          .whereLayer("gateway")
          .mayOnlyAccessLayers("command", "http", "ledger", "net", "webhook", "wire")
          .whereLayer("platform registry")
          .mayOnlyAccessLayers("connectors", "net", "publish", "wire")
          .whereLayer("connectors")
          .mayOnlyAccessLayers("net", "publish", "wire")
          .whereLayer("bench")
          .mayOnlyAccessLayers("command", "gateway", "ledger", "wire")
          .whereLayer("bench")
          .mayOnlyBeAccessedByLayers("cli")
          .whereLayer("cli")
          .mayNotBeAccessedByAnyLayer();

  /**
   * {@code dev.letmepost.client} is what users embed in their own services: it depends on the JDK,
   * kafka-clients, Jackson and SLF4J only, never on another project package (nor on Kafka Streams,
   * Javalin or picocli).
   */
  @ArchTest
  static final ArchRule clientIsALibraryOfItsOwn =
      classes()
          .that()
          .resideInAPackage(CLIENT)
          .should()
          .onlyDependOnClassesThat()
          .resideInAnyPackage(
              CLIENT,
              "java..",
              "org.apache.kafka.clients..",
              "org.apache.kafka.common..",
              "com.fasterxml.jackson..",
              "org.slf4j..")
          .as("client depends on the JDK, kafka-clients, Jackson and SLF4J only");

  /**
   * Every package of the production code says what it is: it has a package-info.java whose Javadoc
   * is not empty, and each class that Javadoc links to exists (a class moved or renamed since shows
   * here, not as a dead link).
   */
  @ArchTest
  static void everyPackageSaysWhatItIs(JavaClasses classes) {
    Set<String> packages =
        classes.stream().map(JavaClass::getPackageName).collect(toCollection(TreeSet::new));
    List<String> problems = new ArrayList<>();
    for (String pkg : packages) {
      Path file = SOURCES.resolve(pkg.replace('.', '/')).resolve("package-info.java");
      if (!Files.isRegularFile(file)) {
        problems.add(pkg + ": no " + file);
        continue;
      }
      Matcher javadoc = JAVADOC.matcher(read(file));
      String text = javadoc.find() ? javadoc.group(1).replaceAll("(?m)^\\s*\\*", "").strip() : "";
      if (text.isEmpty()) {
        problems.add(pkg + ": " + file + " has no Javadoc before its package declaration");
      }
      Matcher link = LINK.matcher(text);
      while (link.find()) {
        String target = link.group(1).contains(".") ? link.group(1) : pkg + "." + link.group(1);
        if (!exists(classes, target)) {
          problems.add(pkg + ": " + file + " links to " + link.group(1) + ", which is no class");
        }
      }
    }
    assertThat(problems).as("packages of src/main/java").isEmpty();
  }

  /** Whether {@code name} is a class of the production code, a nested one named with dots too. */
  private static boolean exists(JavaClasses classes, String name) {
    String candidate = name;
    while (!classes.contain(candidate)) {
      int dot = candidate.lastIndexOf('.');
      if (dot < 0) {
        return false;
      }
      candidate = candidate.substring(0, dot) + '$' + candidate.substring(dot + 1);
    }
    return true;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

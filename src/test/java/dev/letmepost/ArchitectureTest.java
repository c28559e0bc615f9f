package dev.letmepost;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package graph of the production code (tests may reach anything: the ITs start the broker, the
 * CLI and the sandbox). Today's graph, found with {@code jdeps -verbose:package} on target/classes:
 *
 * <pre>
 * client      -> (nothing: the JDK, kafka-clients, Jackson, SLF4J)  (the producers' and consumers'
 *                                             library; every package may use it)
 * wire        -> client
 * net         -> (nothing)                    (the outbound address policy: AddressGuard)
 * command     -> client, wire
 * http        -> client, command, wire        (the HTTP side of the contract)
 * ledger      -> command, http, wire
 * publish     -> wire                         (the connector SPI: Connector, PlatformHttp, ...)
 * broker      -> wire
 * webhook     -> http, net, wire                  (webhook endpoints, signing, the dispatcher)
 * gateway     -> command, http, ledger, net, webhook, wire
 * platform    -> net, platform.*, publish, wire    (Connectors, the registry; WebhookUrl)
 * platform.*  -> net, publish, wire, platform      (discord and slack use platform.WebhookUrl)
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

  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("dev.letmepost.(*)..").should().beFreeOfCycles();

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
          .whereLayer("command")
          .mayOnlyAccessLayers("wire")
          .whereLayer("http")
          .mayOnlyAccessLayers("command", "wire")
          .whereLayer("ledger")
          .mayOnlyAccessLayers("command", "http", "wire")
          .whereLayer("publish")
          .mayOnlyAccessLayers("net", "wire")
          .whereLayer("broker")
          .mayOnlyAccessLayers("wire")
          .whereLayer("webhook")
          .mayOnlyAccessLayers("http", "net", "wire")
          .whereLayer("gateway")
          .mayOnlyAccessLayers("command", "http", "ledger", "net", "webhook", "wire")
          .whereLayer("platform registry")
          .mayOnlyAccessLayers("connectors", "net", "publish", "wire")
          .whereLayer("connectors")
          .mayOnlyAccessLayers("net", "platform registry", "publish", "wire")
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
}

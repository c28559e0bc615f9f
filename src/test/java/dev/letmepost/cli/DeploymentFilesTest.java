package dev.letmepost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.letmepost.gateway.GatewayMeters;
import dev.letmepost.wire.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine.ParseResult;

/**
 * The deployment files against the code: {@code docker-compose.yml} (valid for {@code
 * docker-compose config}, three brokers with replication 3 and min ISR 2, every lmp service's
 * command accepted by the command line, health checks on each role's own port), the Prometheus
 * targets and alert rules, the Grafana dashboard's queries, the {@code Dockerfile}, and the broker
 * configs of {@code deploy/kafka}.
 */
class DeploymentFilesTest {
  private static final Path COMPOSE = Path.of("docker-compose.yml");
  private static final List<String> BROKERS = List.of("kafka-1", "kafka-2", "kafka-3");

  /** A metric name in a PromQL expression: a word not followed by '(' and not a label. */
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:lmp|kafka|jvm|process|system)_[a-z0-9_]+)\\b");

  @Test
  void composeFileIsValidForDockerComposeConfig() throws Exception {
    assumeTrue(
        commandExists("docker-compose"),
        "docker-compose is not installed (Debian: docker-compose)");
    Process p =
        new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config", "-q")
            .redirectErrorStream(true)
            .start();
    String output;
    try (InputStream in = p.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("docker-compose config finished").isTrue();
    assertThat(p.exitValue()).as("docker-compose config: " + output).isZero();
  }

  @Test
  void composeRunsThreeKafkaNodesOfTheClientVersionWithReplicationThreeAndMinIsrTwo()
      throws IOException {
    Matcher version =
        Pattern.compile("<kafka.version>([^<]+)</kafka.version>")
            .matcher(Files.readString(Path.of("pom.xml")));
    assertThat(version.find()).isTrue();
    Map<String, Object> services = services();
    List<String> ids = new ArrayList<>();
    for (String broker : BROKERS) {
      Map<String, Object> s = map(services.get(broker));
      assertThat(s.get("image"))
          .as(broker + " image")
          .isEqualTo("apache/kafka:" + version.group(1));
      Map<String, String> env = env(s);
      ids.add(env.get("KAFKA_NODE_ID"));
      assertThat(env)
          .as(broker + " environment")
          .containsEntry("KAFKA_PROCESS_ROLES", "broker,controller")
          .containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
          .containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2")
          .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
          .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3")
          .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2")
          .containsEntry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
          .containsEntry(
              "KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093");
      assertThat(env.get("KAFKA_ADVERTISED_LISTENERS"))
          .as(broker + " advertises its service name to the other containers")
          .startsWith("INTERNAL://" + broker + ":9092,");
      assertThat(s).as(broker + " healthcheck").containsKey("healthcheck");
    }
    assertThat(ids).containsExactly("1", "2", "3");
    assertThat(services.keySet().stream().filter(n -> n.startsWith("kafka")).toList())
        .containsExactlyElementsOf(BROKERS);
  }

  @Test
  void theGatewaysAndTheDispatcherShareOneWebhookSigningKey() {
    Map<String, Map<String, Object>> lmp = lmpServices(services());
    Set<String> keyFiles = new java.util.HashSet<>();
    Set<Object> mounts = new java.util.HashSet<>();
    for (String name : List.of("gateway-1", "gateway-2", "webhooks")) {
      String file = env(lmp.get(name)).get("LMP_WEBHOOK_SIGNING_KEY_FILE");
      assertThat(file).as(name + " names the signing key file").isNotBlank();
      keyFiles.add(file);
      Object mount =
          ((List<?>) lmp.get(name).get("volumes"))
              .stream()
                  .filter(v -> v.toString().endsWith(":" + file + ":ro"))
                  .findFirst()
                  .orElseThrow(() -> new AssertionError(name + " does not mount " + file));
      mounts.add(mount);
    }
    assertThat(keyFiles).as("one key file path").hasSize(1);
    assertThat(mounts).as("one key file mounted everywhere").hasSize(1);
    String source = mounts.iterator().next().toString().split(":")[0];
    assertThat(Path.of(source).normalize()).exists();
  }

  @Test
  void everyLmpServiceCommandIsAcceptedByTheCommandLine() {
    Map<String, Object> services = services();
    assertThat(lmpServices(services).keySet())
        .containsExactlyInAnyOrder("gateway-1", "gateway-2", "publisher", "webhooks", "sandbox");
    for (Map.Entry<String, Map<String, Object>> e : lmpServices(services).entrySet()) {
      List<String> args = withEnvironment(e.getValue());
      ParseResult parsed = Lmp.commandLine().parseArgs(args.toArray(String[]::new));
      assertThat(parsed.hasSubcommand()).as(e.getKey() + " names a command").isTrue();
      assertThat(parsed.subcommand().errors()).as(e.getKey() + " " + args).isEmpty();
    }
    List<String> gateways = List.of("gateway-1", "gateway-2");
    for (String g : gateways) {
      List<String> command = command(map(services.get(g)));
      assertThat(command).first().isEqualTo("gateway");
      assertThat(command)
          .as(g + " advertises its service name for forwarded reads")
          .contains("--advertised-host=" + g, "--http-host=0.0.0.0", "--replication-factor=3");
    }
    assertThat(ports(map(services.get("gateway-1")))).containsExactly("8080:8080");
    assertThat(ports(map(services.get("gateway-2")))).containsExactly("8081:8080");
    assertThat(command(map(services.get("gateway-1")))).contains("--demo");
    assertThat(command(map(services.get("publisher"))))
        .contains("--sandbox-url=http://sandbox:8090", "--platform=all");
  }

  @Test
  void everyServiceHasAHealthCheckAndEachLmpServiceAsksItsOwnReadyzPort() {
    Map<String, Object> services = services();
    for (Map.Entry<String, Object> e : services.entrySet()) {
      assertThat(map(e.getValue())).as(e.getKey() + " healthcheck").containsKey("healthcheck");
    }
    for (Map.Entry<String, Map<String, Object>> e : lmpServices(services).entrySet()) {
      int port = metricsPort(e.getValue());
      @SuppressWarnings("unchecked")
      List<Object> test = (List<Object>) map(e.getValue().get("healthcheck")).get("test");
      assertThat(test).as(e.getKey()).containsExactly("CMD", "lmp-healthcheck", "" + port);
      assertThat(env(e.getValue())).containsEntry("LMP_HEALTH_PORT", "" + port);
    }
  }

  @Test
  void prometheusScrapesEveryLmpServiceOnItsMetricsPortAndNothingElse() throws IOException {
    Set<String> expected = new TreeSet<>();
    lmpServices(services()).forEach((name, s) -> expected.add(name + ":" + metricsPort(s)));

    Set<String> scraped = new TreeSet<>();
    Map<String, Object> prometheus = yaml(Path.of("deploy/prometheus/prometheus.yml"));
    for (Object job : list(prometheus.get("scrape_configs"))) {
      assertThat(map(job).get("metrics_path")).isEqualTo("/metrics");
      for (Object sc : list(map(job).get("static_configs"))) {
        for (Object target : list(map(sc).get("targets"))) {
          scraped.add((String) target);
        }
      }
    }
    assertThat(scraped).isEqualTo(expected);
    assertThat(list(prometheus.get("rule_files"))).containsExactly("/etc/prometheus/alerts.yml");
    @SuppressWarnings("unchecked")
    List<Object> volumes = (List<Object>) map(services().get("prometheus")).get("volumes");
    assertThat(volumes)
        .contains(
            "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
            "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
  }

  @Test
  void everyMetricTheAlertsAndTheDashboardQueryIsOneTheCodeRegisters() throws IOException {
    Set<String> registered = RegisteredMetrics.sampleNames();
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Object> alerts = yaml(Path.of("deploy/prometheus/alerts.yml"));
    for (Object group : list(alerts.get("groups"))) {
      for (Object rule : list(map(group).get("rules"))) {
        queries.put("alert " + map(rule).get("alert"), (String) map(rule).get("expr"));
      }
    }
    JsonNode dashboard =
        Json.MAPPER.readTree(Path.of("deploy/grafana/dashboards/letmepost.json").toFile());
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queries.put(
            "panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(),
            target.path("expr").asText());
      }
    }
    assertThat(queries).hasSizeGreaterThan(15);

    Map<String, Set<String>> unknown = new TreeMap<>();
    Set<String> queried = new TreeSet<>();
    queries.forEach(
        (where, expr) -> {
          for (String name : metricNames(expr)) {
            queried.add(name);
            if (!registered.contains(name)) {
              unknown.computeIfAbsent(where, k -> new TreeSet<>()).add(name);
            }
          }
        });
    assertThat(unknown).as("queried metrics the code does not register").isEmpty();
    // What the issue asks the dashboard for: requests, replays, conflicts, waiters, outcomes by
    // platform and status, end-to-end latency, consumer lag.
    assertThat(queried)
        .contains(
            "lmp_gateway_http_requests_seconds_count",
            "lmp_gateway_replays_total",
            "lmp_gateway_conflicts_total",
            "lmp_gateway_waiters",
            "lmp_gateway_target_outcomes_total",
            "lmp_gateway_post_latency_seconds_bucket",
            "kafka_consumer_fetch_manager_records_lag_max",
            "lmp_consumer_group_lag");
  }

  /**
   * The gateway's /metrics had no JVM meters, so the heap alert and the heap panel covered the
   * ledger, publisher and sandbox only: the gateway's own scrape must show every metric they query,
   * and neither may select a role or job that leaves it out.
   */
  @Test
  void theHeapAlertAndTheHeapPanelCoverTheGateway() throws IOException {
    Set<String> gateway = RegisteredMetrics.names(GatewayMeters.scrapeWithEveryMeter());
    String alerts = Files.readString(Path.of("deploy/prometheus/alerts.yml"));
    Matcher heapAlert = Pattern.compile("alert: LmpHeapNearlyFull\\s+expr: (.+)").matcher(alerts);
    assertThat(heapAlert.find()).as("LmpHeapNearlyFull in alerts.yml").isTrue();
    List<String> exprs = new ArrayList<>(List.of(heapAlert.group(1)));
    Matcher panel =
        Pattern.compile("\"expr\": \"([^\"\\n]*jvm_memory[^\\n]*)\"")
            .matcher(Files.readString(Path.of("deploy/grafana/dashboards/letmepost.json")));
    while (panel.find()) {
      exprs.add(panel.group(1));
    }
    assertThat(exprs).hasSizeGreaterThan(1);
    for (String expr : exprs) {
      assertThat(gateway).as(expr).containsAll(metricNames(expr));
      assertThat(expr).doesNotContain("role=", "job=");
    }
  }

  @Test
  void theMetricNameScanFindsNamesButNotFunctionsOrLabels() {
    assertThat(
            metricNames(
                "histogram_quantile(0.99, sum by (le) (rate(lmp_gateway_post_latency_seconds_bucket"
                    + "{source=\"kafka\", client_id=~\"kafka_x\"}[5m]))) > 10"))
        .containsExactly("lmp_gateway_post_latency_seconds_bucket");
  }

  @Test
  void grafanaProvisionsThePrometheusDatasourceAndTheDashboardFolder() throws IOException {
    Map<String, Object> ds =
        yaml(Path.of("deploy/grafana/provisioning/datasources/prometheus.yml"));
    Map<String, Object> source = map(list(ds.get("datasources")).get(0));
    assertThat(source)
        .containsEntry("uid", "prometheus")
        .containsEntry("url", "http://prometheus:9090");
    Map<String, Object> boards =
        yaml(Path.of("deploy/grafana/provisioning/dashboards/letmepost.yml"));
    assertThat(map(map(list(boards.get("providers")).get(0)).get("options")))
        .containsEntry("path", "/var/lib/grafana/dashboards");
    JsonNode dashboard =
        Json.MAPPER.readTree(Path.of("deploy/grafana/dashboards/letmepost.json").toFile());
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("prometheus");
    }
    @SuppressWarnings("unchecked")
    List<Object> volumes = (List<Object>) map(services().get("grafana")).get("volumes");
    assertThat(volumes)
        .contains(
            "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
            "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro");
  }

  @Test
  void dockerfileBuildsWithTheWrapperAndRunsLmpAsANonRootUserOnAJre17WithAReadyzCheck()
      throws IOException {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    List<String> from =
        dockerfile.lines().filter(l -> l.startsWith("FROM ")).map(String::trim).toList();
    assertThat(from).hasSize(2);
    assertThat(from.get(0)).startsWith("FROM eclipse-temurin:17-jdk").endsWith(" AS build");
    assertThat(from.get(1)).isEqualTo("FROM eclipse-temurin:17-jre");
    assertThat(dockerfile)
        .contains("./mvnw -B -ntp -q -DskipTests package")
        .contains("USER lmp")
        .contains("ENTRYPOINT [\"lmp\"]")
        .contains("HEALTHCHECK ")
        .contains("CMD [\"lmp-healthcheck\"]");
    assertThat(Files.readString(Path.of("deploy/docker/healthcheck")))
        .contains("GET /readyz")
        .contains("${LMP_HEALTH_PORT:-8080}");
    assertThat(Files.readString(Path.of("deploy/docker/lmp")))
        .contains("exec java ${LMP_JAVA_OPTS:-} -jar /opt/lmp/letmepost-streams.jar \"$@\"");

    // Every file the build copies from the context exists and passes .dockerignore.
    List<String> allowed =
        Files.readAllLines(Path.of(".dockerignore")).stream()
            .filter(l -> l.startsWith("!"))
            .map(l -> l.substring(1).replaceAll("/$", ""))
            .toList();
    Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+) \\S+$").matcher(dockerfile);
    int copies = 0;
    while (copy.find()) {
      for (String source : copy.group(1).trim().split("\\s+")) {
        copies++;
        assertThat(Path.of(source)).as("COPY source").exists();
        assertThat(allowed.stream().anyMatch(a -> source.equals(a) || source.startsWith(a + "/")))
            .as(source + " is let through by .dockerignore " + allowed)
            .isTrue();
      }
    }
    assertThat(copies).isGreaterThanOrEqualTo(5);
  }

  @Test
  void theBrokerConfigsOfDeployKafkaFormOneQuorumWithReplicationThreeAndMinIsrTwo()
      throws IOException {
    Set<String> voters = new TreeSet<>();
    Set<String> listeners = new TreeSet<>();
    for (int n = 1; n <= 3; n++) {
      Properties p = new Properties();
      try (var in = Files.newBufferedReader(Path.of("deploy/kafka/node-" + n + ".properties"))) {
        p.load(in);
      }
      assertThat(p.getProperty("node.id")).isEqualTo("" + n);
      assertThat(p.getProperty("process.roles")).isEqualTo("broker,controller");
      assertThat(p.getProperty("default.replication.factor")).isEqualTo("3");
      assertThat(p.getProperty("min.insync.replicas")).isEqualTo("2");
      assertThat(p.getProperty("transaction.state.log.replication.factor")).isEqualTo("3");
      assertThat(p.getProperty("transaction.state.log.min.isr")).isEqualTo("2");
      assertThat(p.getProperty("offsets.topic.replication.factor")).isEqualTo("3");
      assertThat(p.getProperty("log.dirs")).isEqualTo("data/kafka-" + n);
      voters.add(p.getProperty("controller.quorum.voters"));
      listeners.add(p.getProperty("listeners"));
      assertThat(p.getProperty("controller.quorum.voters"))
          .contains(n + "@" + p.getProperty("listeners").replaceAll(".*CONTROLLER://", ""));
    }
    assertThat(voters).as("one quorum").hasSize(1);
    assertThat(listeners).as("distinct ports").hasSize(3);
    assertThat(Files.readString(Path.of("deploy/kafka/logback.xml")))
        .contains("<root level=\"${LMP_LOG_LEVEL:-INFO}\">");
  }

  // ---- helpers ----

  /** Every metric name in a PromQL expression, label matchers removed first. */
  static Set<String> metricNames(String expr) {
    String withoutLabels = expr.replaceAll("\\{[^}]*}", "");
    Set<String> names = new TreeSet<>();
    Matcher m = METRIC.matcher(withoutLabels);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  static Map<String, Object> services() {
    try {
      return map(yaml(COMPOSE).get("services"));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The services that run the lmp image. */
  static Map<String, Map<String, Object>> lmpServices(Map<String, Object> services) {
    Map<String, Map<String, Object>> out = new TreeMap<>();
    services.forEach(
        (name, s) -> {
          if ("letmepost-streams:local".equals(map(s).get("image"))) {
            out.put(name, map(s));
          }
        });
    return out;
  }

  /** The port of a service's /metrics: the gateway's --http-port, else --health-port. */
  static int metricsPort(Map<String, Object> service) {
    List<String> command = command(service);
    String flag = command.get(0).equals("gateway") ? "--http-port=" : "--health-port=";
    return command.stream()
        .filter(a -> a.startsWith(flag))
        .map(a -> Integer.parseInt(a.substring(flag.length())))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + flag + " in " + command));
  }

  /** The command, plus {@code --bootstrap-servers} where the environment supplies it. */
  private static List<String> withEnvironment(Map<String, Object> service) {
    List<String> args = new ArrayList<>(command(service));
    String bootstrap = env(service).get("LMP_BOOTSTRAP_SERVERS");
    boolean takesBootstrap = !args.get(0).equals("sandbox");
    if (bootstrap != null && takesBootstrap) {
      args.add("--bootstrap-servers=" + bootstrap);
    }
    return args;
  }

  @SuppressWarnings("unchecked")
  static List<String> command(Map<String, Object> service) {
    return (List<String>) service.get("command");
  }

  @SuppressWarnings("unchecked")
  private static List<String> ports(Map<String, Object> service) {
    return (List<String>) service.get("ports");
  }

  static Map<String, String> env(Map<String, Object> service) {
    Map<String, String> env = new TreeMap<>();
    map(service.get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  static Map<String, Object> yaml(Path file) throws IOException {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    try (var in = Files.newBufferedReader(file)) {
      return map(yaml.load(in));
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    assertThat(o).isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    assertThat(o).isInstanceOf(List.class);
    return (List<Object>) o;
  }

  private static boolean commandExists(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}

package dev.letmepost.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.lifecycle.Startables;
import org.testcontainers.utility.DockerImageName;

/**
 * The product on a three-node cluster of {@code apache/kafka} containers configured like {@code
 * docker-compose.yml} (each node broker + controller, replication 3, {@code min.insync.replicas=2},
 * the transaction state log replicated 3 / min ISR 2): the seed flow, then a broker stopped and
 * started again while posts go on being answered. Skipped where no Docker engine runs; without
 * Docker the same scenario runs on child-JVM brokers in {@link RolesIT} (and under load in {@code
 * CrashMatrixIT}).
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerClusterIT {
  private static final int EXTERNAL = 19092;

  @Test
  @Timeout(420)
  void theSeedFlowRunsOnThreeContainersAndSurvivesABrokerRestart(@TempDir Path dir)
      throws Exception {
    List<Integer> hostPorts = freePorts(3);
    try (Network network = Network.newNetwork()) {
      List<GenericContainer<?>> nodes = new ArrayList<>();
      for (int id = 1; id <= 3; id++) {
        nodes.add(node(network, id, hostPorts.get(id - 1)));
      }
      try {
        // The nodes form one quorum: they must start together.
        Startables.deepStart(nodes).get(180, TimeUnit.SECONDS);
        String bootstrap =
            hostPorts.stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
        try (SeedFlow flow = SeedFlow.start(bootstrap, "tcc.", 3, dir)) {
          flow.assertSeedFlow("01HY6X4AWBJM2K9F2PTQMRD9JQ");

          DockerClient docker = DockerClientFactory.instance().client();
          String node2 = nodes.get(1).getContainerId();
          docker.stopContainerCmd(node2).exec();
          HttpResponse<byte[]> during = flow.post("K-during-outage", SeedFlow.BODY);
          assertThat(during.statusCode()).as(SeedFlow.text(during)).isEqualTo(201);

          docker.startContainerCmd(node2).exec();
          awaitBrokers(bootstrap, 3);
          HttpResponse<byte[]> after = flow.post("K-after-restart", SeedFlow.BODY);
          assertThat(after.statusCode()).as(SeedFlow.text(after)).isEqualTo(201);
          HttpResponse<byte[]> replay = flow.post("K-during-outage", SeedFlow.BODY);
          assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
          assertThat(replay.body()).isEqualTo(during.body());
        }
      } finally {
        nodes.forEach(GenericContainer::stop);
      }
    }
  }

  /**
   * Node {@code id}: the environment of docker-compose.yml's kafka-{id}, its external port fixed.
   */
  private static GenericContainer<?> node(Network network, int id, int hostPort) {
    GenericContainer<?> c =
        new GenericContainer<>(DockerImageName.parse(ContainersIT.KAFKA_IMAGE))
            .withNetwork(network)
            .withNetworkAliases("kafka-" + id)
            .withEnv(
                Map.ofEntries(
                    Map.entry("KAFKA_NODE_ID", Integer.toString(id)),
                    Map.entry("KAFKA_PROCESS_ROLES", "broker,controller"),
                    Map.entry("CLUSTER_ID", "5L6g3nShT-eMCtK--X86sw"),
                    Map.entry(
                        "KAFKA_CONTROLLER_QUORUM_VOTERS",
                        "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"),
                    Map.entry(
                        "KAFKA_LISTENERS", "INTERNAL://:9092,CONTROLLER://:9093,EXTERNAL://:19092"),
                    Map.entry(
                        "KAFKA_ADVERTISED_LISTENERS",
                        "INTERNAL://kafka-" + id + ":9092,EXTERNAL://127.0.0.1:" + hostPort),
                    Map.entry(
                        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                        "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT"),
                    Map.entry("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER"),
                    Map.entry("KAFKA_INTER_BROKER_LISTENER_NAME", "INTERNAL"),
                    Map.entry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false"),
                    Map.entry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3"),
                    Map.entry("KAFKA_MIN_INSYNC_REPLICAS", "2"),
                    Map.entry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3"),
                    Map.entry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3"),
                    Map.entry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2"),
                    Map.entry("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")))
            .waitingFor(
                Wait.forLogMessage(".*Kafka Server started.*", 1)
                    .withStartupTimeout(Duration.ofMinutes(3)));
    c.withCreateContainerCmdModifier(
        cmd -> {
          cmd.withExposedPorts(new ExposedPort(EXTERNAL));
          cmd.getHostConfig()
              .withPortBindings(
                  new PortBinding(Ports.Binding.bindPort(hostPort), new ExposedPort(EXTERNAL)));
        });
    return c;
  }

  private static void awaitBrokers(String bootstrap, int count) {
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                10_000))) {
      await()
          .atMost(Duration.ofMinutes(2))
          .ignoreExceptions()
          .until(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == count);
    }
  }

  private static List<Integer> freePorts(int count) throws IOException {
    List<Integer> ports = new ArrayList<>();
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) {
        ServerSocket s = new ServerSocket(0);
        held.add(s);
        ports.add(s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}

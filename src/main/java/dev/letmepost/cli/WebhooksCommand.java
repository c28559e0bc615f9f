package dev.letmepost.cli;

import dev.letmepost.gateway.GatewayService;
import dev.letmepost.net.AddressGuard;
import dev.letmepost.webhook.DeliveryLog;
import dev.letmepost.webhook.DisabledMark;
import dev.letmepost.webhook.EndpointRegistry;
import dev.letmepost.webhook.EndpointView;
import dev.letmepost.webhook.SigningKey;
import dev.letmepost.webhook.WebhookConfig;
import dev.letmepost.webhook.WebhookDispatcher;
import dev.letmepost.webhook.WebhookEndpoint;
import dev.letmepost.webhook.WebhookException;
import dev.letmepost.webhook.WebhookStore;
import dev.letmepost.wire.ClientSettings;
import dev.letmepost.wire.Json;
import dev.letmepost.wire.Topics;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lmp webhooks add|list|remove|dispatch}: webhook endpoints and the dispatcher role. */
@Command(
    name = "webhooks",
    mixinStandardHelpOptions = true,
    description = "Manage webhook endpoints (lmp.webhook-endpoints) and run the dispatcher.",
    subcommands = {
      WebhooksCommand.Add.class,
      WebhooksCommand.ListEndpoints.class,
      WebhooksCommand.Remove.class,
      WebhooksCommand.Dispatch.class
    })
final class WebhooksCommand extends UsageCommand {
  /** The webhook options {@code serve} and the webhook commands share. */
  static final class Options {
    @Option(
        names = "--webhook-signing-key-file",
        paramLabel = "PATH",
        defaultValue = "${env:" + SigningKey.ENV + "}",
        description =
            "file holding the server key every endpoint's signing secret is derived from, at"
                + " least 32 bytes (env "
                + SigningKey.ENV
                + "; demo mode: <data-dir>/"
                + SigningKey.DEMO_FILE
                + ", generated)")
    Path signingKeyFile;

    @Option(
        names = "--webhook-allow-private-addresses",
        description =
            "allow webhook URLs on loopback, link-local and private addresses (SSRF guard off"
                + " for those; https still required outside demo mode)")
    boolean allowPrivate;

    @Option(
        names = "--webhook-max-failures",
        defaultValue = "" + WebhookConfig.DEFAULT_MAX_FAILURES,
        description =
            "consecutive failed deliveries after which an endpoint is disabled (default:"
                + " ${DEFAULT-VALUE})")
    int maxFailures;

    /** The key: the file given, else in demo mode the data directory's; null when neither. */
    SigningKey key(boolean demo, Path dataDir) {
      if (signingKeyFile != null) {
        return SigningKey.load(signingKeyFile);
      }
      return demo ? SigningKey.demo(dataDir) : null;
    }

    AddressGuard.Policy policy(boolean demo) {
      return new AddressGuard.Policy(demo, allowPrivate);
    }

    /**
     * {@code gateway}'s webhook routes, when {@code --webhook-signing-key-file} is given (every
     * gateway and dispatcher of a cluster must share that key, so no per-instance demo key here);
     * the dispatcher runs as its own role, {@code lmp webhooks dispatch}.
     */
    void routes(ClientSettings client, Topics topics, GatewayService gateway) {
      if (signingKeyFile == null) {
        System.out.println(
            "webhooks off: no --webhook-signing-key-file (the webhook routes answer 503)");
        return;
      }
      gateway.attachWebhooks(client, topics, SigningKey.load(signingKeyFile), policy(false));
    }

    /**
     * {@code serve}'s webhooks: the routes on {@code gateway} and a dispatcher, when there is a
     * key; answers the dispatcher started.
     */
    Optional<WebhookDispatcher> serve(
        ClientSettings client,
        Topics topics,
        boolean demo,
        Path dataDir,
        GatewayService gateway,
        String instanceId) {
      SigningKey key = key(demo, dataDir);
      if (key == null) {
        System.out.println(
            "webhooks off: no --webhook-signing-key-file (the webhook routes answer 503)");
        return Optional.empty();
      }
      gateway.attachWebhooks(client, topics, key, policy(demo));
      WebhookDispatcher d =
          new WebhookDispatcher(
              client,
              topics,
              key,
              WebhookConfig.defaults(policy(demo), instanceId).withMaxFailures(maxFailures),
              Clock.systemUTC(),
              gateway.meterRegistry());
      gateway.watch(d::readerProblem);
      return Optional.of(d);
    }
  }

  /**
   * The signing key options of the commands that run without {@code serve} ({@code add}, {@code
   * dispatch}): the webhook options, and demo mode's key in the data directory.
   */
  static final class KeyOptions {
    @Mixin Options webhook;

    @Option(
        names = "--demo",
        description = "demo mode: http and loopback URLs allowed, the data directory's key")
    boolean demo;

    @Mixin DataDirOption dataDir;

    /** The key; without one, an error naming the ways to give it. */
    SigningKey requireKey() {
      SigningKey key = webhook.key(demo, dataDir.path);
      if (key == null) {
        throw new IllegalArgumentException(
            "no webhook signing key: give --webhook-signing-key-file PATH (or set "
                + SigningKey.ENV
                + "), or --demo to use <data-dir>/"
                + SigningKey.DEMO_FILE);
      }
      return key;
    }

    AddressGuard.Policy policy() {
      return webhook.policy(demo);
    }
  }

  private static EndpointRegistry readEndpoints(KafkaOptions kafka) {
    EndpointRegistry registry = new EndpointRegistry();
    for (ConsumerRecord<String, byte[]> r :
        TopicReader.readAll(kafka.settings(), kafka.topics().webhookEndpoints().name())) {
      registry.apply(r.key(), r.value());
    }
    return registry;
  }

  private static WebhookStore offlineStore(
      KafkaOptions kafka,
      EndpointRegistry registry,
      KafkaProducer<String, byte[]> producer,
      SigningKey key,
      AddressGuard.Policy policy) {
    String topic = kafka.topics().webhookEndpoints().name();
    return new WebhookStore(
        registry,
        new DeliveryLog(),
        () -> true,
        (id, value) -> {
          try {
            producer.send(new ProducerRecord<>(topic, id, value)).get();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WebhookException(503, "interrupted", "interrupted writing " + id);
          } catch (java.util.concurrent.ExecutionException e) {
            throw new WebhookException(
                503, "webhooks_unavailable", "cannot write " + id + ": " + e.getCause());
          }
        },
        key,
        new AddressGuard(policy, AddressGuard.Resolver.SYSTEM),
        Clock.systemUTC(),
        WebhookStore::newId);
  }

  private static KafkaProducer<String, byte[]> producer(KafkaOptions kafka) {
    return new KafkaProducer<>(
        kafka.settings().config(Map.of(ProducerConfig.ACKS_CONFIG, "all")),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Create a webhook endpoint and print it with its signing secret (shown once).")
  static final class Add extends ClientCommand {
    @Mixin KeyOptions keyOptions;

    @Option(names = "--principal", required = true, description = "the endpoint's principal")
    String principal;

    @Option(names = "--url", required = true, description = "where to deliver (https)")
    String url;

    @Option(
        names = "--event",
        required = true,
        paramLabel = "TYPE",
        description = "an event type to deliver (repeatable), e.g. batch.completed")
    List<String> events;

    @Override
    public Integer call() throws Exception {
      SigningKey key = keyOptions.requireKey();
      try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
        WebhookStore store =
            offlineStore(kafka, readEndpoints(kafka), producer, key, keyOptions.policy());
        WebhookStore.Created c = store.create(principal, url, events);
        PrintWriter out = out();
        out.println(new String(Json.write(EndpointView.of(c.endpoint(), c.secret())), UTF8));
        out.println("store the secret now: it is not shown again");
        out.flush();
        return 0;
      } catch (WebhookException e) {
        err().println("lmp webhooks add: " + e.code() + ": " + e.getMessage());
        return 1;
      }
    }
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Print the webhook endpoints (one JSON line each), without secrets.")
  static final class ListEndpoints extends ClientCommand {

    @Option(names = "--principal", description = "only this principal's")
    String principal;

    @Override
    public Integer call() {
      EndpointRegistry registry = readEndpoints(kafka);
      PrintWriter out = out();
      List<WebhookEndpoint> all = principal != null ? registry.of(principal) : registry.all();
      for (WebhookEndpoint e : all) {
        out.println(new String(Json.write(EndpointView.of(e, null)), UTF8));
      }
      out.flush();
      return 0;
    }
  }

  @Command(
      name = "remove",
      mixinStandardHelpOptions = true,
      description = "Delete a webhook endpoint; its pending deliveries are dropped.")
  static final class Remove extends ClientCommand {

    @Option(names = "--id", required = true, description = "the endpoint id (we_…)")
    String id;

    @Override
    public Integer call() throws Exception {
      EndpointRegistry registry = readEndpoints(kafka);
      WebhookEndpoint e =
          registry
              .get(id)
              .orElseThrow(() -> new IllegalArgumentException("no webhook endpoint '" + id + "'"));
      try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
        String topic = kafka.topics().webhookEndpoints().name();
        producer.send(new ProducerRecord<>(topic, e.id(), null)).get();
        // then the dispatcher's mark, if any (ignored without its endpoint: only tidier)
        producer.send(new ProducerRecord<>(topic, DisabledMark.key(e.id()), null)).get();
      }
      out().println("removed webhook endpoint " + id);
      out().flush();
      return 0;
    }
  }

  @Command(
      name = "dispatch",
      mixinStandardHelpOptions = true,
      description = "Run the webhook dispatcher: deliver lmp.post-events to the endpoints.")
  static final class Dispatch implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin KeyOptions keyOptions;
    @Mixin InstanceIdOption instanceId = new InstanceIdOption("webhooks");
    @Mixin HealthOptions health = new HealthOptions("webhooks", 8083);

    @Override
    public Integer call() throws Exception {
      SigningKey key = keyOptions.requireKey();
      String id = instanceId.id();
      // The health server is bound first: /healthz answers while the dispatcher reads its
      // endpoints and pending work.
      return health.run(
          (role, healthServer) -> {
            WebhookDispatcher d =
                role.add(
                    new WebhookDispatcher(
                        kafka.settings(),
                        kafka.topics(),
                        key,
                        WebhookConfig.defaults(keyOptions.policy(), id)
                            .withMaxFailures(keyOptions.webhook.maxFailures),
                        Clock.systemUTC(),
                        healthServer.registry()));
            healthServer.readiness(d::readerProblem);
            System.out.println(
                "dispatching webhooks as instance " + id + " against " + kafka.bootstrapServers);
            System.out.flush();
          });
    }
  }
}

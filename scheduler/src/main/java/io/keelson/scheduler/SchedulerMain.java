package io.keelson.scheduler;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.keelson.scheduler.cache.SchedulerCache;
import io.keelson.scheduler.client.Fabric8ClusterApi;
import io.keelson.scheduler.client.LeanSerialization;
import io.keelson.scheduler.config.SchedulerConfig;
import io.keelson.scheduler.core.ClusterWatch;
import io.keelson.scheduler.core.Scheduler;
import io.keelson.scheduler.leader.LeaderElection;
import io.keelson.scheduler.metrics.SchedulerMetrics;
import io.keelson.scheduler.plugins.DefaultPlugins;
import io.keelson.scheduler.queue.SchedulingQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** keelson-scheduler: assigns pods to nodes (see io.keelson.scheduler.core.Scheduler). */
@Command(
    name = "keelson-scheduler",
    mixinStandardHelpOptions = true,
    version = "keelson-scheduler 0.1.0",
    description = "Watches unscheduled pods and binds each to a node chosen by the scheduling plugins.")
public final class SchedulerMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(SchedulerMain.class);

  @Option(names = "--kubeconfig", description = "Kubeconfig file (default: $KUBECONFIG, then ~/.keelson/kubeconfig).")
  Path kubeconfig;

  @Option(names = "--config", description = "Scheduler profile YAML (plugins enabled/disabled, score weights).")
  Path config;

  @Option(
      names = "--leader-elect",
      arity = "0..1",
      defaultValue = "true",
      fallbackValue = "true",
      description = "Elect a leader through a Lease so only one replica schedules (default: ${DEFAULT-VALUE}).")
  boolean leaderElect;

  @Option(names = "--lease-name", defaultValue = "keelson-scheduler", description = "Lease name (default: ${DEFAULT-VALUE}).")
  String leaseName;

  @Option(names = "--lease-namespace", defaultValue = "kube-system", description = "Lease namespace (default: ${DEFAULT-VALUE}).")
  String leaseNamespace;

  @Option(names = "--metrics-port", defaultValue = "10251", description = "Port serving /metrics (Prometheus) and /healthz; -1 disables (default: ${DEFAULT-VALUE}).")
  int metricsPort;

  @Option(names = "--bind-parallelism", description = "Concurrent bindings (overrides the config file; default 64).")
  Integer bindParallelism;

  @Option(names = "--percentage-of-nodes-to-score", description = "0 = adaptive (default), 1..100 = fixed.")
  Integer percentageOfNodesToScore;

  @Option(names = "--identity", description = "Leader-election identity (default: hostname_random).")
  String identity;

  @Option(
      names = "--aot-training",
      description = "Run a short self-contained workload (an in-process fake api-server, 150 nodes, 1500 pods) and exit;"
          + " ./keelson runs it once per build with -XX:AOTCacheOutput to create the JVM's AOT cache (JDK 25+).")
  boolean aotTraining;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SchedulerMain()).execute(args));
  }

  static Path defaultKubeconfig() {
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) {
      return Path.of(env.split(java.io.File.pathSeparator)[0]);
    }
    return Path.of(System.getProperty("user.home"), ".keelson", "kubeconfig");
  }

  @Override
  public Integer call() throws Exception {
    if (aotTraining) {
      return io.keelson.scheduler.aot.TrainingRun.run(150, 1500, 60);
    }
    Path kc = kubeconfig != null ? kubeconfig : defaultKubeconfig();
    if (!Files.isReadable(kc)) {
      System.err.println("keelson-scheduler: cannot read kubeconfig " + kc);
      return 1;
    }
    SchedulerConfig cfg;
    try {
      cfg = config == null ? SchedulerConfig.defaults() : SchedulerConfig.load(config);
    } catch (Exception e) {
      System.err.println("keelson-scheduler: bad --config " + config + ": " + e.getMessage());
      return 1;
    }
    if (bindParallelism != null) {
      cfg = cfg.withBindParallelism(bindParallelism);
    }
    if (percentageOfNodesToScore != null) {
      cfg = cfg.withPercentageOfNodesToScore(percentageOfNodesToScore);
    }
    String id = identity != null ? identity : hostname() + "_" + UUID.randomUUID().toString().substring(0, 8);

    Config clientConfig = Config.fromKubeconfig(null, Files.readString(kc), kc.toString());
    clientConfig.setRequestRetryBackoffLimit(3);
    clientConfig.setOnlyHttpWatches(true); // fabric8's WebSocket watch attempt hangs against our api-server
    clientConfig.setMaxConcurrentRequests(256);
    clientConfig.setMaxConcurrentRequestsPerHost(256);
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(clientConfig)
            .withKubernetesSerialization(LeanSerialization.create()) // no managedFields in the informers
            .build();

    SchedulerMetrics metrics = new SchedulerMetrics(cfg.schedulerName());
    if (metricsPort >= 0) {
      try {
        int port = metrics.serve(metricsPort);
        log.info("metrics on http://0.0.0.0:{}/metrics", port);
      } catch (java.io.IOException e) {
        log.warn("cannot serve metrics on port {}: {}", metricsPort, e.toString());
      }
    }
    SchedulerCache cache = new SchedulerCache();
    SchedulingQueue queue = new SchedulingQueue();
    Fabric8ClusterApi api = new Fabric8ClusterApi(client, cfg.schedulerName(), id);
    ClusterWatch watch = new ClusterWatch(client, cache, queue, cfg.schedulerName());
    Scheduler scheduler;
    try {
      scheduler = new Scheduler(cfg, DefaultPlugins.registry(), cache, queue, api, metrics, watch::runtimeClass);
      scheduler.useStorage(watch);
    } catch (IllegalArgumentException e) {
      System.err.println("keelson-scheduler: " + e.getMessage());
      return 1;
    }
    try {
      watch.start(120_000);
    } catch (Exception e) {
      System.err.println("keelson-scheduler: cannot list nodes/pods from " + client.getMasterUrl() + ": " + rootMessage(e));
      return 1;
    }

    CountDownLatch done = new CountDownLatch(1);
    final int[] exit = {0};
    final boolean[] shuttingDown = {false};
    LeaderElection election = null;
    if (leaderElect) {
      election =
          new LeaderElection(
              client,
              leaseNamespace,
              leaseName,
              id,
              () -> {
                log.info("became leader ({}); scheduling", id);
                scheduler.start();
              },
              () -> {
                if (!shuttingDown[0]) {
                  log.error("leader election lost; exiting so a fresh replica can stand by");
                  exit[0] = 1;
                  done.countDown();
                }
              });
      log.info("waiting for lease {}/{} as {}", leaseNamespace, leaseName, id);
      election.start();
    } else {
      scheduler.start();
    }
    LeaderElection el = election;
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  shuttingDown[0] = true;
                  scheduler.stop();
                  if (el != null) {
                    el.close();
                  }
                  done.countDown();
                }));
    done.await();
    scheduler.stop();
    watch.close();
    api.close();
    metrics.close();
    client.close();
    return exit[0];
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.toString();
  }

  private static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "scheduler";
    }
  }
}

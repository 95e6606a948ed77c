package io.keelson.controller;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.keelson.controller.clusterroleaggregation.ClusterRoleAggregationController;
import io.keelson.controller.daemonset.DaemonSetController;
import io.keelson.controller.statefulset.StatefulSetController;
import io.keelson.controller.deployment.DeploymentController;
import io.keelson.controller.endpoints.EndpointsController;
import io.keelson.controller.endpointslice.EndpointSliceController;
import io.keelson.controller.disruption.DisruptionController;
import io.keelson.controller.resourcequota.ResourceQuotaController;
import io.keelson.controller.events.EventRecorder;
import io.keelson.controller.cronjob.CronJobController;
import io.keelson.controller.gc.GarbageCollector;
import io.keelson.controller.job.JobController;
import io.keelson.controller.namespace.NamespaceController;
import io.keelson.controller.rootcacert.RootCaCertPublisher;
import io.keelson.controller.serviceaccount.ServiceAccountsController;
import io.keelson.controller.nodelifecycle.NodeLifecycleController;
import io.keelson.controller.podautoscaler.HorizontalController;
import io.keelson.controller.podgc.PodGarbageCollector;
import io.keelson.controller.replicaset.ReplicaSetController;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.ServedResources;
import io.keelson.controller.ttlafterfinished.TtlAfterFinishedController;
import io.keelson.controller.volume.PersistentVolumeBinder;
import io.keelson.controller.volume.StorageProtection;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the selected controllers on shared informers and runs them, either straight away or
 * while holding the leader Lease {@code kube-system/keelson-controller-manager}. Losing the
 * Lease stops every controller and informer; the process then campaigns again with fresh caches.
 */
public final class ControllerManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControllerManager.class);
  public static final String LEASE_NAMESPACE = "kube-system";
  public static final String LEASE_NAME = "keelson-controller-manager";

  /** Settings the controllers take from flags. */
  public record Options(
      Set<String> controllers,
      int workers,
      Duration nodeMonitorGracePeriod,
      Duration defaultNotReadyToleration,
      Duration defaultUnreachableToleration,
      int terminatedPodGcThreshold,
      HorizontalController.Settings autoscaling) {
    public Options(Set<String> controllers, int workers, Duration nodeMonitorGracePeriod, Duration defaultNotReadyToleration,
        Duration defaultUnreachableToleration, int terminatedPodGcThreshold) {
      this(controllers, workers, nodeMonitorGracePeriod, defaultNotReadyToleration, defaultUnreachableToleration,
          terminatedPodGcThreshold, HorizontalController.Settings.defaults());
    }

    public static Options defaults() {
      return new Options(
          Names.select(List.of("*")), 5, Duration.ofSeconds(40), Duration.ofSeconds(300), Duration.ofSeconds(300), 12500);
    }
  }

  /** Controller names for --controllers. */
  public static final class Names implements Iterable<String> {
    public static final List<String> ALL =
        List.of("deployment", "replicaset", "daemonset", "garbagecollector", "nodelifecycle", "namespace", "podgc", "serviceaccount",
            "root-ca-cert-publisher", "endpoint", "endpointslice", "job", "cronjob", "ttl-after-finished", "horizontalpodautoscaling",
            "clusterrole-aggregation", "statefulset", "disruption", "csrsigning", "persistentvolume-binder", "pvc-protection",
            "pv-protection", "resourcequota", "virtualmachine");

    @Override
    public Iterator<String> iterator() {
      return ALL.iterator();
    }

    /** Resolves "*", names and "-name" exclusions like kube-controller-manager's --controllers. */
    public static Set<String> select(List<String> spec) {
      Set<String> out = new LinkedHashSet<>();
      boolean star = spec.isEmpty() || spec.contains("*");
      if (star) out.addAll(ALL);
      for (String s : spec) {
        s = s.trim();
        if (s.isEmpty() || s.equals("*")) continue;
        if (s.startsWith("-")) {
          out.remove(s.substring(1));
        } else if (ALL.contains(s)) {
          out.add(s);
        } else {
          throw new IllegalArgumentException("unknown controller '" + s + "' (known: " + String.join(",", ALL) + ")");
        }
      }
      return out;
    }
  }

  private final KubernetesClient client;
  private final Options options;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final String identity;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private HttpServer metricsServer;
  private Running running;
  /** The cluster CA for csrsigning (kube's --cluster-signing-cert-file/-key-file); null: not signing. */
  private io.keelson.controller.certificates.ClusterSigner signer;

  /** Signs approved client CertificateSigningRequests with this CA (set before start). */
  public ControllerManager signWith(io.keelson.controller.certificates.ClusterSigner signer) {
    this.signer = signer;
    return this;
  }

  /** One generation of informers and controllers (rebuilt after a lost Lease). */
  private record Running(
      Informers informers, EventRecorder events, List<ManagedController> parts, boolean[] active) {}

  public ControllerManager(KubernetesClient client, Options options) {
    this.client = client;
    this.options = options;
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "localhost";
    }
    this.identity = host + "_" + UUID.randomUUID();
    // On SIGTERM: stop, release the Lease (so a standby takes over at once), then let the JVM go.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopped.countDown();
                  try {
                    closed.await(5, java.util.concurrent.TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));
  }

  public static ControllerManager fromKubeconfig(Path kubeconfig, Options options) throws IOException {
    if (!Files.isReadable(kubeconfig)) throw new IOException("cannot read kubeconfig " + kubeconfig);
    Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    config.setRequestRetryBackoffLimit(1);
    // Watch over plain HTTP streaming, as kubectl does; fabric8 otherwise tries a WebSocket
    // upgrade first, which hangs against a server that answers the upgrade with a stream.
    config.setOnlyHttpWatches(true);
    config.setConnectionTimeout(10_000);
    config.setRequestTimeout(30_000);
    // Informers and hundreds of concurrent pod creates share one client.
    config.setMaxConcurrentRequests(256);
    config.setMaxConcurrentRequestsPerHost(128);
    return new ControllerManager(new KubernetesClientBuilder().withConfig(config)
        .withKubernetesSerialization(io.keelson.client.json.LeanSerialization.create()) // no managedFields in informers
        .build(), options);
  }

  public KubernetesClient client() {
    return client;
  }

  public PrometheusMeterRegistry metrics() {
    return metrics;
  }

  public String identity() {
    return identity;
  }

  /** Serves /metrics (Prometheus text) and /healthz; a busy port only costs the endpoint. */
  public void serveMetrics(int port) {
    if (port <= 0) return;
    try {
      metricsServer = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    } catch (IOException e) {
      log.warn("metrics endpoint not served: port {} unavailable ({})", port, e.getMessage());
      return;
    }
    metricsServer.createContext(
        "/metrics",
        ex -> {
          byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    metricsServer.createContext(
        "/healthz",
        ex -> {
          byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    metricsServer.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    metricsServer.start();
    log.info("metrics on http://127.0.0.1:{}/metrics", port);
  }

  /** Starts every selected controller now (no leader election) and returns. */
  public synchronized void start() throws Exception {
    prepare();
    activate();
  }

  /**
   * Builds the controllers and fills their caches without acting: a standby replica stays
   * prepared so that taking over the Lease costs no initial list.
   */
  public synchronized void prepare() throws Exception {
    if (running != null) return;
    Informers informers = new Informers(client);
    EventRecorder events = new EventRecorder(client, "keelson-controller-manager");
    List<ManagedController> parts = new ArrayList<>();
    Set<String> on = options.controllers();
    int w = options.workers();
    if (on.contains("replicaset")) parts.add(new ReplicaSetController(informers, events, metrics, w));
    if (on.contains("deployment")) parts.add(new DeploymentController(informers, events, metrics, w));
    if (on.contains("daemonset")) parts.add(new DaemonSetController(informers, events, metrics, w));
    if (on.contains("garbagecollector")) parts.add(new GarbageCollector(informers, metrics, w));
    if (on.contains("nodelifecycle")) {
      parts.add(
          new NodeLifecycleController(
              informers,
              events,
              metrics,
              options.nodeMonitorGracePeriod(),
              options.defaultNotReadyToleration(),
              options.defaultUnreachableToleration()));
    }
    if (on.contains("namespace")) parts.add(new NamespaceController(informers, metrics, w));
    if (on.contains("serviceaccount")) parts.add(new ServiceAccountsController(informers, metrics, w));
    if (on.contains("root-ca-cert-publisher")) {
      String ca = RootCaCertPublisher.caPem(client);
      if (ca == null) log.info("controller root-ca-cert-publisher off: the kubeconfig names no cluster CA to publish");
      else parts.add(new RootCaCertPublisher(informers, ca, metrics, w));
    }
    if (on.contains("endpoint")) parts.add(new EndpointsController(informers, metrics, w));
    if (on.contains("endpointslice")) parts.add(new EndpointSliceController(informers, metrics, w));
    if (on.contains("podgc")) parts.add(new PodGarbageCollector(informers, metrics, options.terminatedPodGcThreshold()));
    // Batch and autoscaling controllers run only where the api-server serves their kinds (an older one may not).
    ServedResources served = ServedResources.discover(client);
    if (on.contains("job") || on.contains("cronjob") || on.contains("ttl-after-finished")) {
      boolean jobs = served.forKind("batch/v1", "Job") != null;
      boolean cronJobs = jobs && served.forKind("batch/v1", "CronJob") != null;
      if (on.contains("job")) {
        if (jobs) parts.add(new JobController(informers, events, metrics, w));
        else log.info("controller job skipped: the api-server does not serve batch/v1 jobs");
      }
      if (on.contains("ttl-after-finished")) {
        if (jobs) parts.add(new TtlAfterFinishedController(informers, metrics, w));
        else log.info("controller ttl-after-finished skipped: the api-server does not serve batch/v1 jobs");
      }
      if (on.contains("cronjob")) {
        if (cronJobs) parts.add(new CronJobController(informers, events, metrics, w));
        else log.info("controller cronjob skipped: the api-server does not serve batch/v1 cronjobs and jobs");
      }
    }
    if (on.contains(StatefulSetController.NAME)) {
      if (served.forKind("apps/v1", "StatefulSet") != null) parts.add(new StatefulSetController(informers, events, metrics, w));
      else log.info("controller statefulset skipped: the api-server does not serve apps/v1 statefulsets");
    }
    if (on.contains("horizontalpodautoscaling")) {
      if (served.forKind("autoscaling/v2", "HorizontalPodAutoscaler") != null) {
        parts.add(new HorizontalController(informers, events, metrics, options.autoscaling()));
      } else {
        log.info("controller horizontalpodautoscaling skipped: the api-server does not serve autoscaling/v2 horizontalpodautoscalers");
      }
    }
    if (on.contains(DisruptionController.NAME)) {
      if (served.forKind("policy/v1", "PodDisruptionBudget") != null) {
        parts.add(new DisruptionController(informers, served, events, metrics, w));
      } else {
        log.info("controller disruption skipped: the api-server does not serve policy/v1 poddisruptionbudgets");
      }
    }
    if (on.contains(io.keelson.controller.certificates.CsrSigningController.NAME)) {
      if (signer == null) {
        log.info("controller csrsigning off: no --cluster-signing-cert-file/--cluster-signing-key-file to sign with");
      } else if (served.forKind("certificates.k8s.io/v1", "CertificateSigningRequest") == null) {
        log.info("controller csrsigning skipped: the api-server does not serve certificates.k8s.io/v1 certificatesigningrequests");
      } else {
        parts.add(new io.keelson.controller.certificates.CsrSigningController(informers, signer, metrics, w, java.time.Clock.systemUTC()));
      }
    }
    if (on.contains(ResourceQuotaController.NAME)) {
      if (served.forKind("v1", "ResourceQuota") != null) parts.add(new ResourceQuotaController(informers, served, metrics, w));
      else log.info("controller resourcequota skipped: the api-server does not serve v1 resourcequotas");
    }
    if (on.contains(io.keelson.controller.virtualmachine.VirtualMachineController.NAME)) {
      if (served.forKind("vm.keelson.io/v1alpha1", "VirtualMachine") != null) {
        parts.add(new io.keelson.controller.virtualmachine.VirtualMachineController(informers, events, metrics, w));
      } else {
        log.info("controller virtualmachine skipped: the api-server does not serve vm.keelson.io/v1alpha1 virtualmachines");
      }
    }
    if (on.contains(ClusterRoleAggregationController.NAME)) {
      if (served.forKind("rbac.authorization.k8s.io/v1", "ClusterRole") != null) {
        parts.add(new ClusterRoleAggregationController(informers, metrics, w));
      } else {
        log.info("controller clusterrole-aggregation skipped: the api-server does not serve rbac.authorization.k8s.io/v1 clusterroles");
      }
    }
    if (on.contains(PersistentVolumeBinder.NAME) || on.contains(StorageProtection.PVC_NAME) || on.contains(StorageProtection.PV_NAME)) {
      if (served.forKind("v1", "PersistentVolumeClaim") != null && served.forKind("storage.k8s.io/v1", "StorageClass") != null) {
        if (on.contains(PersistentVolumeBinder.NAME)) parts.add(new PersistentVolumeBinder(informers, events, metrics, w));
        // one part with kube's two queues, pvc-protection and pv-protection
        if (on.contains(StorageProtection.PVC_NAME) || on.contains(StorageProtection.PV_NAME)) {
          parts.add(new StorageProtection(informers, metrics, w));
        }
      } else {
        log.info("controllers persistentvolume-binder, pvc-protection, pv-protection skipped: the api-server does not serve"
            + " persistentvolumeclaims and storageclasses");
      }
    }
    try {
      informers.startAndSync(Duration.ofMinutes(2));
    } catch (Exception e) {
      informers.stop();
      events.close();
      throw e;
    }
    running = new Running(informers, events, parts, new boolean[1]);
    log.info("caches synced for: {}", String.join(",", on));
  }

  /** Starts the workers of prepared controllers (keys queued meanwhile are processed now). */
  public synchronized void activate() {
    if (running == null) throw new IllegalStateException("not prepared");
    if (running.active()[0]) return;
    running.active()[0] = true;
    for (ManagedController p : running.parts()) p.start();
    for (ManagedController p : running.parts()) p.controllers().forEach(Controller::start);
    log.info("controllers running: {}", String.join(",", options.controllers()));
  }

  /** Stops every controller and informer (idempotent). */
  public synchronized void stopControllers() {
    if (running == null) return;
    for (ManagedController p : running.parts()) {
      p.stop();
      p.controllers().forEach(Controller::stop);
    }
    running.informers().stop();
    running.events().close();
    running = null;
    log.info("controllers stopped");
  }

  /** Whether the controllers act (this replica leads, or runs without election). */
  public synchronized boolean active() {
    return running != null && running.active()[0];
  }

  /** All controllers currently running (for tests and the benchmark). */
  public synchronized List<Controller> controllers() {
    if (running == null) return List.of();
    List<Controller> out = new ArrayList<>();
    running.parts().forEach(p -> out.addAll(p.controllers()));
    return out;
  }

  public void runUntilStopped() throws Exception {
    start();
    stopped.await();
  }

  /**
   * Campaigns for the Lease and runs the controllers while holding it. Renewal every
   * leaseDuration/10; a kill -9'd leader is replaced once its Lease expires (leaseDuration + a
   * retry period), and a stopped one releases its Lease so the successor takes over at once.
   */
  public void runLeaderElected(Duration leaseDuration) throws Exception {
    Duration renewDeadline = leaseDuration.multipliedBy(2).dividedBy(3);
    Duration retry = leaseDuration.dividedBy(10); // candidates poll often: takeover soon after expiry
    Thread campaign =
        Thread.ofPlatform()
            .daemon()
            .name("campaign")
            .start(
                () -> {
                  while (stopped.getCount() > 0) {
                    try {
                      prepare();
                    } catch (Exception e) {
                      log.error("could not sync caches: {}; retrying", e.toString());
                      sleepQuietly(retry);
                      continue;
                    }
                    var config =
                        new LeaderElectionConfigBuilder()
                            .withName(LEASE_NAME)
                            .withLock(new LeaseLock(LEASE_NAMESPACE, LEASE_NAME, identity))
                            .withLeaseDuration(leaseDuration)
                            .withRenewDeadline(renewDeadline)
                            .withRetryPeriod(retry)
                            .withReleaseOnCancel(true)
                            .withLeaderCallbacks(
                                new LeaderCallbacks(
                                    () -> {
                                      log.info("became leader as {}", identity);
                                      try {
                                        activate();
                                      } catch (RuntimeException e) {
                                        // Give the Lease back and campaign again with fresh caches.
                                        log.error("could not start controllers: {}; retrying", e.toString());
                                        var f = currentElection;
                                        if (f != null) f.cancel(true);
                                      }
                                    },
                                    () -> {
                                      log.warn("lost leadership; stopping controllers");
                                      stopControllers();
                                      // end this election for sure, so that the loop campaigns again as a standby
                                      // (seen under load: stopped, and never campaigning again)
                                      var f = currentElection;
                                      if (f != null) f.cancel(true);
                                    },
                                    leader -> log.info("leader is now {}", leader)))
                            .build();
                    var elector = client.leaderElector().withConfig(config).build();
                    var future = elector.start();
                    currentElection = future;
                    try {
                      future.get();
                    } catch (Exception e) {
                      log.debug("election ended: {}", e.toString());
                    }
                    stopControllers();
                  }
                });
    stopped.await();
    var f = currentElection;
    if (f != null) f.cancel(true);
    stopControllers();
    campaign.join(3000);
  }

  private volatile java.util.concurrent.CompletableFuture<?> currentElection;

  public void stop() {
    stopped.countDown();
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stopControllers();
    if (metricsServer != null) metricsServer.stop(0);
    client.close();
    closed.countDown();
  }
}

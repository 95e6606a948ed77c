package io.keelson.controller;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keelson controller-manager}: runs the workload, batch, GC, node, namespace and service controllers. */
@Command(
    name = "keelson-controller-manager",
    mixinStandardHelpOptions = true,
    description = {
      "Runs Keelson's controllers (deployment, replicaset, daemonset, statefulset, garbage collector, node"
          + " lifecycle, namespace, pod GC, service accounts, endpoints, endpoint slices, jobs, cron jobs,"
          + " ttl-after-finished, horizontal pod autoscaler) against an api-server,"
          + " leader-elected through a Lease."
    })
public final class ControllerManagerMain implements Callable<Integer> {

  @Option(
      names = "--kubeconfig",
      paramLabel = "PATH",
      description = "kubeconfig of the api-server (default: $KUBECONFIG, then ~/.keelson/kubeconfig)")
  File kubeconfig;

  @Option(
      names = "--leader-elect",
      arity = "0..1",
      defaultValue = "true",
      fallbackValue = "true",
      paramLabel = "BOOL",
      description = "take the Lease kube-system/keelson-controller-manager before acting (default: ${DEFAULT-VALUE})")
  boolean leaderElect;

  @Option(
      names = "--leader-elect-lease-duration",
      defaultValue = "8s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "how long a leader's Lease is valid without renewal (default: ${DEFAULT-VALUE})")
  Duration leaseDuration;

  @Option(
      names = "--node-monitor-grace-period",
      defaultValue = "40s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "a node whose Lease is this old is marked Ready=Unknown and tainted unreachable (default: ${DEFAULT-VALUE})")
  Duration nodeMonitorGracePeriod;

  @Option(
      names = "--default-not-ready-toleration-seconds",
      paramLabel = "SECONDS",
      defaultValue = "300",
      description = "how long pods without their own toleration stay on a not-ready node (default: ${DEFAULT-VALUE})")
  long notReadyTolerationSeconds;

  @Option(
      names = "--default-unreachable-toleration-seconds",
      paramLabel = "SECONDS",
      defaultValue = "300",
      description = "how long pods without their own toleration stay on an unreachable node (default: ${DEFAULT-VALUE})")
  long unreachableTolerationSeconds;

  @Option(
      names = "--terminated-pod-gc-threshold",
      paramLabel = "N",
      defaultValue = "12500",
      description = "terminated pods kept before the oldest are deleted (default: ${DEFAULT-VALUE})")
  int terminatedPodGcThreshold;

  @Option(
      names = "--controllers",
      paramLabel = "NAME",
      split = ",",
      defaultValue = "*",
      description =
          "controllers to run: * or a list of ${COMPLETION-CANDIDATES}; -name disables one (default: ${DEFAULT-VALUE})",
      completionCandidates = ControllerManager.Names.class)
  List<String> controllers;

  @Option(
      names = "--workers",
      paramLabel = "N",
      defaultValue = "5",
      description = "workers per controller (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      defaultValue = "10257",
      description = "serve Prometheus metrics on http://127.0.0.1:PORT/metrics; 0 disables (default: ${DEFAULT-VALUE})")
  int metricsPort;

  @Option(
      names = "--horizontal-pod-autoscaler-sync-period",
      paramLabel = "DURATION",
      defaultValue = "15s",
      converter = DurationConverter.class,
      description = "how often each HorizontalPodAutoscaler is synced (default: ${DEFAULT-VALUE})")
  Duration hpaSyncPeriod;

  @Option(
      names = "--horizontal-pod-autoscaler-downscale-stabilization",
      paramLabel = "DURATION",
      defaultValue = "5m",
      converter = DurationConverter.class,
      description = "how far back the autoscaler looks for a higher recommendation before scaling down, for HPAs"
          + " without spec.behavior (default: ${DEFAULT-VALUE})")
  Duration hpaDownscaleStabilization;

  @Option(
      names = "--horizontal-pod-autoscaler-tolerance",
      paramLabel = "RATIO",
      defaultValue = "0.1",
      description = "the smallest change of usage/target ratio the autoscaler acts on (default: ${DEFAULT-VALUE})")
  double hpaTolerance;

  @Option(
      names = "--cluster-signing-cert-file",
      paramLabel = "FILE",
      description = "PEM CA certificate that signs approved kubernetes.io/kube-apiserver-client CertificateSigningRequests"
          + " (kubectl certificate approve); ./keelson up passes DIR/tls/ca.crt")
  Path signingCert;

  @Option(
      names = "--cluster-signing-key-file",
      paramLabel = "FILE",
      description = "PEM private key of --cluster-signing-cert-file")
  Path signingKey;

  @Option(
      names = "--aot-training",
      description =
          "Run the AOT training workload (the controllers against an in-process fake api-server: pods at scale, a"
              + " Deployment and its rollout, a DaemonSet, garbage collection), then exit; the launcher records a JDK 25 AOT cache from it")
  boolean aotTraining;

  @Override
  public Integer call() throws Exception {
    if (aotTraining) return io.keelson.controller.aot.TrainingRun.run(150, 1000, 60);
    Path config = resolveKubeconfig();
    if (config == null) {
      System.err.println("keelson-controller-manager: no kubeconfig (give --kubeconfig, set KUBECONFIG, or run ./keelson up)");
      return 1;
    }
    var options =
        new ControllerManager.Options(
            ControllerManager.Names.select(controllers),
            Math.max(1, workers),
            nodeMonitorGracePeriod,
            Duration.ofSeconds(notReadyTolerationSeconds),
            Duration.ofSeconds(unreachableTolerationSeconds),
            terminatedPodGcThreshold,
            new io.keelson.controller.podautoscaler.HorizontalController.Settings(hpaSyncPeriod, hpaDownscaleStabilization, hpaTolerance));
    if ((signingCert == null) != (signingKey == null)) {
      System.err.println("keelson-controller-manager: give both --cluster-signing-cert-file and --cluster-signing-key-file, or neither");
      return 1;
    }
    var signer = signingCert == null ? null : io.keelson.controller.certificates.ClusterSigner.fromFiles(signingCert, signingKey);
    try (var manager = ControllerManager.fromKubeconfig(config, options)) {
      manager.signWith(signer);
      manager.serveMetrics(metricsPort);
      if (leaderElect) manager.runLeaderElected(leaseDuration);
      else manager.runUntilStopped();
    }
    return 0;
  }

  private Path resolveKubeconfig() {
    if (kubeconfig != null) return kubeconfig.toPath();
    String env = System.getenv("KUBECONFIG");
    if (env != null && !env.isBlank()) return Path.of(env.split(File.pathSeparator)[0]);
    Path home = Path.of(System.getProperty("user.home"), ".keelson", "kubeconfig");
    return Files.exists(home) ? home : null;
  }

  /** Accepts Go-style durations as Kubernetes flags do: 40s, 5m, 1m30s, 1h, 500ms, or plain seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
      v = v.trim();
      if (v.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(v));
      try {
        return io.keelson.controller.runtime.GoDurations.parse(v);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException("'" + v + "' is not a duration (e.g. 40s, 5m, 1m30s, 500ms)");
      }
    }
  }

  public static void main(String[] args) {
    int code;
    try {
      code =
          new CommandLine(new ControllerManagerMain())
              .setExecutionExceptionHandler(
                  (ex, cmd, parsed) -> {
                    System.err.println("keelson-controller-manager: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
                    return 1;
                  })
              .execute(args);
    } catch (RuntimeException e) {
      System.err.println("keelson-controller-manager: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }
}

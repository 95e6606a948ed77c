package io.keelson.apiserver;

import io.keelson.apiserver.auth.ClusterCredentials;
import io.keelson.apiserver.nodeservice.ClusterCidr;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keelson server}: the Kubernetes API on etcd, plus the gRPC NodeService for agents. */
@SpringBootApplication
@Command(name = "keelson server", mixinStandardHelpOptions = true,
    description = "Run the Keelson api-server: the Kubernetes REST API over HTTPS, state in etcd, gRPC NodeService for node agents.")
public class ApiServerMain implements Callable<Integer> {

  @Option(names = "--dir", description = "Cluster directory (TLS material, kubeconfig). Default: ~/.keelson")
  Path dir = Path.of(System.getProperty("user.home"), ".keelson");

  @Option(names = "--api-port", description = "HTTPS port of the Kubernetes API (default ${DEFAULT-VALUE})")
  int apiPort = 6443;

  @Option(names = "--grpc-port", description = "gRPC NodeService port (default: api-port + 1)")
  Integer grpcPort;

  @Option(names = "--bind-address", description = "Address to listen on (default ${DEFAULT-VALUE})")
  String bindAddress = "127.0.0.1";

  @Option(names = "--advertise-address", description = "The address pods reach this api-server at, the endpoint of the"
      + " default/kubernetes Service (default: --bind-address unless that is 0.0.0.0 or 127.0.0.1, else this host's"
      + " default-route address, as kube-apiserver picks it)")
  String advertiseAddress;

  @Option(names = "--etcd-servers", split = ",", description = "etcd client URLs (default http://127.0.0.1:2379)")
  List<String> etcdServers = new ArrayList<>(List.of("http://127.0.0.1:2379"));

  @Option(names = "--tls-san", split = ",", description = "Extra IPs / DNS names for the serving certificate")
  List<String> tlsSans = new ArrayList<>();

  @Option(names = "--advertise-url", description = "API URL written into DIR/kubeconfig (default https://127.0.0.1:PORT)")
  String advertiseUrl;

  @Option(names = "--watch-window", description = "Events kept per resource for resuming watches (default ${DEFAULT-VALUE})")
  int watchWindow = 20000;

  @Option(names = "--event-ttl", converter = GoDuration.class,
      description = "How long events live after their last write, as kube-apiserver's flag: 1h, 30m, 90s (default 1h)")
  Duration eventTtl = Duration.ofHours(1);

  @Option(names = "--cluster-cidr", converter = PodRange.class,
      description = "The pods' IPv4 range, one /24 per node, as kube-controller-manager's flag (default 10.244.0.0/16;"
          + " `keelson up` picks one no other cluster on the host routes)")
  ClusterCidr clusterCidr = ClusterCidr.DEFAULT;

  @Option(names = "--encryption-provider-config", description = "An apiserver.config.k8s.io/v1 EncryptionConfiguration, as"
      + " kube-apiserver's flag: the resources whose values are encrypted in etcd (aescbc, aesgcm, secretbox; identity)")
  Path encryptionProviderConfig;

  @Option(names = "--audit-policy-file", description = "An audit.k8s.io/v1 Policy: which requests are audited, at what level"
      + " (as kube-apiserver's flag; auditing is off without it or --audit-log-path)")
  Path auditPolicyFile;

  @Option(names = "--audit-log-path", description = "Where audit events go, one JSON line each ('-': stdout)")
  String auditLogPath;

  @Option(names = "--audit-log-maxsize", description = "Megabytes the audit log reaches before it is rotated (default 100)")
  int auditLogMaxSize;

  @Option(names = "--audit-log-maxbackup", description = "Rotated audit logs to keep (default 0: all)")
  int auditLogMaxBackup;

  @Option(names = "--audit-log-maxage", description = "Days to keep rotated audit logs (default 0: no limit)")
  int auditLogMaxAge;

  @Option(names = "--max-requests-inflight", description = "Read-only requests served at once; more get 429"
      + " (default ${DEFAULT-VALUE}; 0: no limit; watches and other long-running requests are not counted)")
  int maxRequestsInflight = 400;

  @Option(names = "--max-mutating-requests-inflight", description = "Mutating requests served at once; more get 429"
      + " (default ${DEFAULT-VALUE}; 0: no limit)")
  int maxMutatingRequestsInflight = 200;

  @Option(names = "--aot-training", description = "Run the AOT training workload (a private etcd from PATH, this api-server"
      + " on free ports, a benchmark-like cluster's requests against it), then exit; the launcher records a JDK 25 AOT cache from it")
  boolean aotTraining;

  @Option(names = "--issue-node-kubeconfig", paramLabel = "NODE", description = "Write DIR/nodes/NODE/kubeconfig for NODE's agent"
      + " (a client certificate from the cluster CA for system:node:NODE, against --advertise-url) unless it exists, then exit;"
      + " the launcher runs this for every agent it starts")
  List<String> issueNodeKubeconfigs = List.of();

  private ConfigurableApplicationContext context;

  /** The running server's Spring context once {@link #call} has started it (the AOT training stops it). */
  public ConfigurableApplicationContext context() {
    return context;
  }

  public static void main(String[] args) {
    ApiServerMain main = new ApiServerMain();
    CommandLine cl = new CommandLine(main);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      System.err.println("keelson server: " + e.getMessage());
      return 1;
    });
    int code = cl.execute(args);
    // a training run exits when done (the JVM writes the AOT cache at exit); a server keeps running
    if (code != 0 || main.aotTraining || !main.issueNodeKubeconfigs.isEmpty()) System.exit(code);
  }

  @Override
  public Integer call() throws Exception {
    if (aotTraining) return io.keelson.apiserver.aot.TrainingRun.run(100, 1000, 60);
    if (!issueNodeKubeconfigs.isEmpty()) {
      String url = advertiseUrl != null ? advertiseUrl : "https://127.0.0.1:" + apiPort;
      for (String node : issueNodeKubeconfigs) System.out.println(ClusterCredentials.nodeKubeconfig(dir, node, url));
      return 0;
    }
    int grpc = grpcPort != null ? grpcPort : apiPort + 1;
    for (int port : new int[] {apiPort, grpc}) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(true);
        s.bind(new java.net.InetSocketAddress(bindAddress, port));
      } catch (Exception e) {
        System.err.println("keelson server: port " + port + " on " + bindAddress
            + " is already in use; stop what uses it or pick another with --api-port/--grpc-port");
        return 1;
      }
    }
    if (encryptionProviderConfig != null) {
      // checked before anything starts: a bad file stops the server with one line naming the field
      try {
        io.keelson.apiserver.storage.encryption.EncryptionAtRest.load(encryptionProviderConfig);
      } catch (io.keelson.apiserver.storage.encryption.InvalidEncryptionConfigException e) {
        System.err.println("keelson server: --encryption-provider-config " + encryptionProviderConfig + ": " + e.getMessage());
        return 1;
      }
    }
    if (maxRequestsInflight < 0 || maxMutatingRequestsInflight < 0) {
      System.err.println("keelson server: --max-requests-inflight and --max-mutating-requests-inflight must be 0 (no limit) or more");
      return 1;
    }
    if (auditPolicyFile != null) {
      try {
        io.keelson.apiserver.audit.AuditPolicy.load(auditPolicyFile); // refuse a broken policy before anything starts
      } catch (IllegalArgumentException e) {
        System.err.println("keelson server: " + e.getMessage());
        return 1;
      }
    }
    Files.createDirectories(dir);
    List<String> sans = new ArrayList<>(tlsSans);
    if (!bindAddress.equals("0.0.0.0") && !bindAddress.equals("127.0.0.1")) sans.add(bindAddress);
    String advertise = advertiseAddress != null ? advertiseAddress : defaultAdvertiseAddress(bindAddress);
    sans.add(advertise);
    String url = advertiseUrl != null ? advertiseUrl : "https://127.0.0.1:" + apiPort;
    ClusterCredentials creds = ClusterCredentials.ensure(dir, sans, url);
    Map<String, Object> props = new HashMap<>();
    props.put("server.port", apiPort);
    props.put("server.address", bindAddress);
    props.put("server.ssl.enabled", true);
    props.put("server.ssl.certificate", "file:" + creds.serverCert());
    props.put("server.ssl.certificate-private-key", "file:" + creds.serverKey());
    // client certificates signed by the cluster CA authenticate (kubectl certificate approve's users);
    // asked for, not required, so token clients are unaffected
    props.put("server.ssl.client-auth", "want");
    props.put("server.ssl.trust-certificate", "file:" + creds.caCert());
    props.put("keelson.dir", dir.toString());
    props.put("keelson.grpc-port", grpc);
    props.put("keelson.bind-address", bindAddress);
    props.put("keelson.advertise-address", advertise);
    props.put("keelson.etcd-servers", String.join(",", etcdServers));
    props.put("keelson.watch-window", watchWindow);
    props.put("keelson.event-ttl-seconds", eventTtl.toSeconds());
    props.put("keelson.cluster-cidr", clusterCidr.toString());
    props.put("keelson.admin-token", creds.adminToken());
    props.put("keelson.encryption-provider-config", encryptionProviderConfig == null ? "" : encryptionProviderConfig.toString());
    if (auditPolicyFile != null) props.put("keelson.audit-policy-file", auditPolicyFile.toAbsolutePath().toString());
    if (auditLogPath != null) props.put("keelson.audit-log-path", auditLogPath);
    props.put("keelson.audit-log-maxsize", auditLogMaxSize);
    props.put("keelson.audit-log-maxbackup", auditLogMaxBackup);
    props.put("keelson.audit-log-maxage", auditLogMaxAge);
    props.put("keelson.max-requests-inflight", maxRequestsInflight);
    props.put("keelson.max-mutating-requests-inflight", maxMutatingRequestsInflight);
    SpringApplication app = new SpringApplication(ApiServerMain.class);
    app.setDefaultProperties(props);
    context = app.run();
    return 0;
  }

  /**
   * A specific bind address; else the source address of this host's default route (no packet is
   * sent: connecting a UDP socket only picks a route); else loopback, which pods cannot reach.
   */
  static String defaultAdvertiseAddress(String bind) {
    if (!bind.equals("0.0.0.0") && !bind.equals("127.0.0.1")) return bind;
    try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
      s.connect(java.net.InetAddress.getByName("203.0.113.1"), 9); // any global address: the default route
      java.net.InetAddress a = s.getLocalAddress();
      if (a instanceof java.net.Inet4Address && !a.isAnyLocalAddress() && !a.isLoopbackAddress()) return a.getHostAddress();
    } catch (java.io.IOException e) {
      // no default route
    }
    return "127.0.0.1";
  }

  static final class PodRange implements CommandLine.ITypeConverter<ClusterCidr> {
    @Override
    public ClusterCidr convert(String v) {
      try {
        return ClusterCidr.parse(v);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Go-style durations, as Kubernetes flags take them: 1h, 30m, 90s, 1h30m, or plain seconds. */
  static final class GoDuration implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String v) {
      String t = v.trim();
      try {
        Duration d = t.matches("\\d+") ? Duration.ofSeconds(Long.parseLong(t))
            : Duration.parse("PT" + t.toUpperCase(Locale.ROOT));
        if (d.toSeconds() < 1) throw new CommandLine.TypeConversionException("'" + v + "' is under a second");
        return d;
      } catch (DateTimeParseException | NumberFormatException e) {
        throw new CommandLine.TypeConversionException("'" + v + "' is not a duration (examples: 1h, 30m, 90s)");
      }
    }
  }
}

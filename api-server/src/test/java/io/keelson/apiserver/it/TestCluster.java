package io.keelson.apiserver.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real processes for the api-server ITs: an etcd and one or more api-servers (the built jar) in a
 * temporary cluster directory, plus an HTTPS client that trusts the cluster CA and sends the admin
 * token. Processes can be killed and restarted on the same data to test recovery.
 */
public final class TestCluster implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  public final Path root;
  public final Path dir;
  public final int etcdPort;
  private final Path jar;
  private Process etcd;
  private final List<ApiServer> servers = new ArrayList<>();
  private final List<String> serverFlags = new ArrayList<>();
  private HttpClient http;

  /** One api-server process of this cluster. */
  public final class ApiServer {
    public final int port;
    Process proc;

    ApiServer(int port) {
      this.port = port;
    }

    public String url() {
      return "https://127.0.0.1:" + port;
    }

    public void start() throws IOException {
      Path log = dir.resolve("logs/api-server-" + port + ".log");
      List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx1g", "-XX:+UseParallelGC",
          "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "--dir", dir.toString(),
          "--api-port", "" + port, "--grpc-port", "" + (port + 1), "--etcd-servers", etcdUrl()));
      cmd.addAll(serverFlags);
      proc = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      // generous: a JVM start takes 10 s on an idle 2-core machine, over a minute on a busy one
      await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofMillis(300)).until(() -> {
        if (!proc.isAlive()) throw new IllegalStateException("api-server exited: " + tail(log));
        try {
          return "ok".equals(client().send(HttpRequest.newBuilder(URI.create(url() + "/readyz"))
              .timeout(Duration.ofSeconds(2)).header("Authorization", "Bearer " + token()).build(),
              HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException e) {
          return false;
        }
      });
    }

    /** SIGKILL: a crash, not a clean shutdown. */
    public void kill() throws InterruptedException {
      proc.destroyForcibly();
      proc.waitFor(30, TimeUnit.SECONDS);
    }

    public void restart() throws Exception {
      kill();
      start();
    }
  }

  private TestCluster(Path root, Path dir, int etcdPort) {
    this.root = root;
    this.dir = dir;
    this.etcdPort = etcdPort;
    this.jar = root.resolve("api-server/target/keelson-api-server.jar");
  }

  /** etcd plus {@code apiServers} api-servers on one cluster directory; skips when the host lacks etcd or the jar. */
  public static TestCluster start(String name, int apiServers) throws Exception {
    return start(name, apiServers, List.of());
  }

  /** As {@link #start(String, int)}, every api-server started with these extra flags (e.g. "--event-ttl", "3s"). */
  public static TestCluster start(String name, int apiServers, List<String> serverFlags) throws Exception {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isExecutable(p.resolve("keelson"))) p = p.getParent();
    Assumptions.assumeTrue(p != null, "no ./keelson checkout above " + Path.of("").toAbsolutePath());
    Assumptions.assumeTrue(Files.exists(p.resolve("api-server/target/keelson-api-server.jar")),
        "api-server jar not built (mvn -pl api-server package)");
    Assumptions.assumeTrue(onPath("etcd"), "no etcd on this host (apt-get install etcd-server)");
    int[] ports = freePorts(2 + 2 * apiServers);
    Path dir = Files.createTempDirectory("keelson-" + name);
    Files.createDirectories(dir.resolve("logs"));
    TestCluster c = new TestCluster(p, dir, ports[0]);
    c.serverFlags.addAll(serverFlags);
    try {
      c.startEtcd();
      for (int i = 0; i < apiServers; i++) c.servers.add(c.new ApiServer(ports[2 + 2 * i]));
      for (ApiServer s : c.servers) s.start();
    } catch (Throwable t) {
      c.close();
      throw t;
    }
    return c;
  }

  public ApiServer server(int i) {
    return servers.get(i);
  }

  public ApiServer api() {
    return servers.get(0);
  }

  public String etcdUrl() {
    return "http://127.0.0.1:" + etcdPort;
  }

  public void startEtcd() throws IOException {
    Files.createDirectories(dir.resolve("etcd"));
    int peer = etcdPort + 1;
    etcd = new ProcessBuilder("etcd", "--name", "keelson", "--data-dir", dir.resolve("etcd").toString(),
        "--listen-client-urls", etcdUrl(), "--advertise-client-urls", etcdUrl(),
        "--listen-peer-urls", "http://127.0.0.1:" + peer, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer,
        "--initial-cluster", "keelson=http://127.0.0.1:" + peer, "--auto-compaction-retention", "0",
        "--log-level", "warn")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("logs/etcd.log").toFile()))
        .start();
    HttpClient plain = HttpClient.newHttpClient();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      if (!etcd.isAlive()) throw new IllegalStateException("etcd exited: " + tail(dir.resolve("logs/etcd.log")));
      try {
        return plain.send(HttpRequest.newBuilder(URI.create(etcdUrl() + "/health")).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.ofString()).body().contains("\"health\":\"true\"");
      } catch (IOException e) {
        return false;
      }
    });
  }

  public void killEtcd() throws InterruptedException {
    etcd.destroyForcibly();
    etcd.waitFor(30, TimeUnit.SECONDS);
  }

  /** etcdctl against this cluster's etcd; returns stdout, fails on a non-zero exit. */
  public String etcdctl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", etcdUrl()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("ETCDCTL_API", "3");
    Process pr = pb.start();
    String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!pr.waitFor(30, TimeUnit.SECONDS) || pr.exitValue() != 0) {
      throw new IllegalStateException("etcdctl " + String.join(" ", args) + ": " + out);
    }
    return out;
  }

  /** The etcd keys under a prefix (e.g. "/registry/configmaps/ns/"). */
  public List<String> keys(String prefix) throws Exception {
    String out = etcdctl("get", prefix, "--prefix", "--keys-only");
    List<String> keys = new ArrayList<>();
    for (String l : out.split("\n")) if (!l.isBlank()) keys.add(l.trim());
    return keys;
  }

  public String token() throws IOException {
    return Files.readString(dir.resolve("tls/admin.token")).trim();
  }

  public Path kubeconfig() {
    return dir.resolve("kubeconfig");
  }

  /** What a kubectl run printed (stdout and stderr together) and its exit code. */
  public record Kubectl(int code, String out) {}

  /** {@code kubectl apply -f} of {@code yaml}, written to {@code <name>.yaml} in the cluster's directory (kept for a failure's reading). */
  public Kubectl apply(String name, String yaml) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return kubectl("apply", "-f", file.toString());
  }

  /** The real kubectl against this cluster's first api-server, with a private discovery cache; skips the test without it. */
  public Kubectl kubectl(String... args) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "no /usr/bin/kubectl on this host");
    List<String> cmd = new ArrayList<>(List.of("kubectl", "--request-timeout=30s", "--cache-dir=" + dir.resolve("kube-cache")));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("KUBECONFIG", kubeconfig().toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Kubectl(-1, "timeout: kubectl " + String.join(" ", args));
    }
    return new Kubectl(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** An HTTP/1.1 client trusting the cluster CA (the token is added per request, see {@link #request}). */
  public synchronized HttpClient client() throws Exception {
    if (http == null) http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(sslContext(dir))
        .connectTimeout(Duration.ofSeconds(5)).build();
    return http;
  }

  public static SSLContext sslContext(Path dir) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(dir.resolve("tls/ca.crt"))) {
      ks.setCertificateEntry("keelson-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** A request builder for {@code path} on api-server {@code s}, with the admin token. */
  public HttpRequest.Builder request(ApiServer s, String path) throws IOException {
    return HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token());
  }

  public HttpResponse<String> send(HttpRequest r) throws Exception {
    return client().send(r, HttpResponse.BodyHandlers.ofString());
  }

  /** {@code body} (none when null) as {@code method} to {@code path} on api-server {@code s}. */
  public HttpResponse<String> send(ApiServer s, String method, String path, String body, String contentType) throws Exception {
    return send(request(s, path).header("Content-Type", contentType)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** A JSON {@code body} (none when null) as {@code method} to {@code path} on api-server {@code s}. */
  public HttpResponse<String> send(ApiServer s, String method, String path, String body) throws Exception {
    return send(s, method, path, body, "application/json");
  }

  /** A JSON {@code body} (none when null) as {@code method} to {@code path} on the first api-server. */
  public HttpResponse<String> send(String method, String path, String body) throws Exception {
    return send(api(), method, path, body);
  }

  /** JSON written in a Java string with ' for " (readable in test source), as JSON; null stays null. */
  public static String doubleQuoted(String json) {
    return json == null ? null : json.replace('\'', '"');
  }

  /** The response's JSON body, once it has status {@code code} (the body is the assertion's message). */
  public static JsonNode ok(HttpResponse<String> r, int code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(code);
    return JSON.readTree(r.body());
  }

  /**
   * A watch on {@code path} (with its query) on the first api-server, read in the background: each
   * event becomes a line by {@code describe}, see {@link WatchLog#sawAll}.
   */
  public WatchLog watch(String path, Function<JsonNode, String> describe) throws Exception {
    HttpResponse<InputStream> r = client().send(request(api(), path).build(), HttpResponse.BodyHandlers.ofInputStream());
    return new WatchLog(r.body(), describe);
  }

  static String javaBin() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  static boolean onPath(String cmd) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(d, cmd))) return true;
    }
    return false;
  }

  /** {@code n} free ports in pairs (p, p+1), each pair taken from a random base so parallel runs rarely collide. */
  static int[] freePorts(int n) {
    for (int attempt = 0; attempt < 200; attempt++) {
      // below the kernel's ephemeral range (32768+), where outgoing connections could take a port between check and bind
      int base = 20000 + ThreadLocalRandom.current().nextInt(12000);
      boolean ok = true;
      for (int i = 0; i < n && ok; i++) ok = free(base + i);
      if (ok) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = base + i;
        return out;
      }
    }
    throw new IllegalStateException("no " + n + " consecutive free ports");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() throws Exception {
    for (ApiServer s : servers) if (s.proc != null) s.kill();
    if (etcd != null) killEtcd();
    if (!Boolean.getBoolean("keelson.keepDirs")) deleteTree(dir);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}

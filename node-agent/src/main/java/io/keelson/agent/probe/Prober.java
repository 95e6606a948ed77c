package io.keelson.agent.probe;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.keelson.agent.driver.ExecSession;
import io.keelson.agent.driver.WorkloadDriver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Runs one probe once (exec through the driver, httpGet, tcpSocket), like the kubelet's prober:
 * success is exit code 0, an HTTP status in [200, 400), or an accepted TCP connection, within
 * timeoutSeconds.
 */
public final class Prober {
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(5)).sslContext(trustingEveryCertificate()).build();

  /** The outcome and, on failure, a message for the Unhealthy event. */
  public record Result(boolean success, String message) {
    static Result ok() {
      return new Result(true, "");
    }

    static Result fail(String message) {
      return new Result(false, message);
    }
  }

  private Prober() {}

  /**
   * HTTPS probes skip certificate verification, as the kubelet's do: a pod's serving certificate is rarely
   * issued for its pod IP or by a CA the node knows (Keelson's own api-server in a pod is one).
   */
  private static SSLContext trustingEveryCertificate() {
    // an X509ExtendedTrustManager: JSSE checks the host name only in the extended checks, which accept all here
    TrustManager acceptAll = new X509ExtendedTrustManager() {
      @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
      @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
      @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}
      @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}
      @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
      @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}
      @Override public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {acceptAll}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }

  public static Result run(Probe probe, Container c, WorkloadDriver driver, String taskId, String podIp) {
    Duration timeout = Duration.ofSeconds(probe.getTimeoutSeconds() == null ? 1 : Math.max(1, probe.getTimeoutSeconds()));
    try {
      if (probe.getExec() != null) {
        return exec(probe, driver, taskId, timeout);
      }
      if (probe.getHttpGet() != null) {
        var h = probe.getHttpGet();
        String host = h.getHost() == null || h.getHost().isEmpty() ? podIp : h.getHost();
        int port = port(h.getPort(), c);
        String scheme = h.getScheme() == null ? "http" : h.getScheme().toLowerCase();
        String path = h.getPath() == null || h.getPath().isEmpty() ? "/" : h.getPath();
        if (!path.startsWith("/")) {
          path = "/" + path;
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(scheme + "://" + host + ":" + port + path)).timeout(timeout);
        req.header("User-Agent", "kube-probe/1.32");
        if (h.getHttpHeaders() != null) {
          h.getHttpHeaders().forEach(hh -> req.header(hh.getName(), hh.getValue()));
        }
        HttpResponse<Void> resp = HTTP.send(req.build(), HttpResponse.BodyHandlers.discarding());
        int code = resp.statusCode();
        return code >= 200 && code < 400 ? Result.ok() : Result.fail("HTTP probe failed with statuscode: " + code);
      }
      if (probe.getTcpSocket() != null) {
        var t = probe.getTcpSocket();
        String host = t.getHost() == null || t.getHost().isEmpty() ? podIp : t.getHost();
        int port = port(t.getPort(), c);
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
          return Result.ok();
        }
      }
      if (probe.getGrpc() != null) {
        return Result.fail("grpc probes are not supported");
      }
      return Result.fail("probe has no handler");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.fail("probe interrupted");
    } catch (Exception e) {
      String what = probe.getHttpGet() != null ? "Get" : "dial tcp";
      return Result.fail(what + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
  }

  private static Result exec(Probe probe, WorkloadDriver driver, String taskId, Duration timeout) throws Exception {
    try (ExecSession s = driver.execTask(taskId, probe.getExec().getCommand(), false)) {
      s.stdin().close();
      var out = new java.io.ByteArrayOutputStream();
      Thread pump = Thread.ofVirtual().start(() -> {
        try {
          s.stdout().transferTo(out);
          s.stderr().transferTo(out);
        } catch (IOException e) {
          // ignore: output is only for the message
        }
      });
      int code;
      try {
        code = s.exit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        return Result.fail("command timed out after " + timeout.toSeconds() + "s");
      }
      pump.join(200);
      return code == 0 ? Result.ok() : Result.fail(out.toString().trim().isEmpty() ? "exit code " + code : out.toString().trim());
    }
  }

  /** A numeric port or the name of one of the container's ports. */
  static int port(IntOrString port, Container c) throws IOException {
    if (port == null) {
      throw new IOException("probe has no port");
    }
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    String name = port.getStrVal();
    if (c.getPorts() != null) {
      for (ContainerPort p : c.getPorts()) {
        if (name.equals(p.getName())) {
          return p.getContainerPort();
        }
      }
    }
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      throw new IOException("port \"" + name + "\" is not a container port");
    }
  }
}

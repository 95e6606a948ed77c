package io.keelson.agent.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProberTest {
  @TempDir Path dir;
  private HttpsServer server;

  /** An HTTPS server on a self-signed certificate for a name that is not its address, as a pod's often is. */
  @BeforeEach
  void serveHttpsOnASelfSignedCertificate() throws Exception {
    Path store = dir.resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "secret", "-alias", "pod",
        "-keyalg", "EC", "-dname", "CN=some-other-name", "-validity", "1").redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0)
        .as(new String(keytool.getInputStream().readAllBytes())).isTrue();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, "secret".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "secret".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/livez", ex -> {
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void anHttpsProbeSkipsCertificateVerificationAsTheKubeletDoes() {
    Probe probe = new ProbeBuilder().withNewHttpGet().withScheme("HTTPS").withPath("/livez")
        .withNewPort(server.getAddress().getPort()).endHttpGet().withTimeoutSeconds(5).build();
    Container c = new ContainerBuilder().withName("apiserver").build();
    Prober.Result result = Prober.run(probe, c, null, "task", "127.0.0.1");
    assertThat(result.message()).isEmpty();
    assertThat(result.success()).isTrue();

    Probe missing = new ProbeBuilder(probe).editHttpGet().withPath("/nothing").endHttpGet().build();
    assertThat(Prober.run(missing, c, null, "task", "127.0.0.1").message()).isEqualTo("HTTP probe failed with statuscode: 404");
  }
}

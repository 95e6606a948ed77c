package io.keelson.client.fake;

import java.io.FileInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A throwaway EC P-256 key and self-signed certificate for 127.0.0.1 (the api-server's kind of
 * key), made with the JDK's keytool, for the servers of a training run: the certificate is its own
 * CA, so clients trust it from a kubeconfig's certificate-authority-data.
 *
 * @param context a TLS server context with the key
 * @param keys the key for other TLS stacks (e.g. gRPC's)
 * @param certificatePem the certificate, PEM
 */
public record SelfSignedTls(SSLContext context, KeyManagerFactory keys, String certificatePem) {

  /** Makes the key in {@code dir} (server.p12, server.pem). */
  public static SelfSignedTls create(Path dir) throws Exception {
    return create(dir, List.of());
  }

  /** As {@link #create(Path)}, the certificate also valid for {@code dnsNames} (e.g. a Service's {@code name.namespace.svc}). */
  public static SelfSignedTls create(Path dir, List<String> dnsNames) throws Exception {
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Path store = dir.resolve("server.p12");
    String pass = "training";
    exec(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
        "-sigalg", "SHA256withECDSA", "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1" + dnsNames.stream().map(n -> ",dns:" + n).collect(Collectors.joining()), "-validity", "2",
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", pass, "-keypass", pass);
    exec(keytool.toString(), "-exportcert", "-rfc", "-alias", "server", "-keystore", store.toString(),
        "-storetype", "PKCS12", "-storepass", pass, "-file", dir.resolve("server.pem").toString());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(store.toFile())) {
      ks.load(in, pass.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, pass.toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return new SelfSignedTls(ctx, kmf, Files.readString(dir.resolve("server.pem")));
  }

  private static void exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + out);
    }
  }
}

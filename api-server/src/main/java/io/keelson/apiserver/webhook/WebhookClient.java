package io.keelson.apiserver.webhook;

import io.keelson.apiserver.proxy.ServiceBackends;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.status.StatusException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Collection;
import java.util.Locale;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import tools.jackson.databind.JsonNode;

/**
 * HTTPS POSTs to one webhook: TLS verified against the webhook's caBundle (the system's trust when
 * it has none) for the server name the webhook is known by — the url's host, or
 * {@code <service>.<namespace>.svc} for a Service, whose endpoint is dialled by IP — within the
 * webhook's timeout. One per webhook of a configuration generation: the trust is parsed once.
 */
public final class WebhookClient {

  /** Why a call failed, worded as kube's ErrCallingWebhook reasons. */
  public static final class CallFailure extends Exception {
    public CallFailure(String message) {
      super(message);
    }
  }

  /** A response: its status code and body. */
  public record Answer(int status, byte[] body) {}

  private final SSLContext tls;

  public WebhookClient(String caBundle) throws GeneralSecurityException, IOException {
    this.tls = caBundle == null || caBundle.isEmpty() ? SSLContext.getDefault() : trusting(caBundle);
  }

  /**
   * Why a caBundle gives no trust, in Go's words ("unable to parse bytes as PEM block"), or null
   * when it holds certificates.
   */
  public static String caBundleProblem(String caBundle) {
    String pem;
    try {
      pem = new String(Base64.getMimeDecoder().decode(caBundle), StandardCharsets.ISO_8859_1);
    } catch (IllegalArgumentException e) {
      return "unable to parse bytes as PEM block";
    }
    if (!pem.contains("-----BEGIN ")) return "unable to parse bytes as PEM block";
    try {
      trusting(caBundle);
      return null;
    } catch (GeneralSecurityException | IOException e) {
      return "failed to parse certificate: " + e.getMessage();
    }
  }

  /** caBundle is base64 of PEM certificates (the JSON form of a []byte). */
  private static SSLContext trusting(String caBundle) throws GeneralSecurityException, IOException {
    byte[] pem = Base64.getMimeDecoder().decode(caBundle);
    Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
    if (certs.isEmpty()) throw new GeneralSecurityException("the caBundle holds no certificate");
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int i = 0;
    for (Certificate c : certs) store.setCertificateEntry("ca-" + i++, c);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /**
   * POSTs {@code body} to a webhook's {@code clientConfig} (admissionregistration's and apiextensions'
   * share the shape): its {@code url}, or a ready endpoint of its {@code service} (port 443 unless
   * given), with {@code ?timeout=} appended as kube's webhook client does.
   */
  public Answer post(ResourceService resources, JsonNode clientConfig, byte[] body, int timeoutSeconds) throws CallFailure {
    if (clientConfig.hasNonNull("url")) {
      URI u = URI.create(clientConfig.path("url").asString());
      String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath()) + "?timeout=" + timeoutSeconds + "s";
      String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
      int port = u.getPort() < 0 ? 443 : u.getPort();
      return post(host, port, host, path, body, timeoutSeconds, clientConfig.path("url").asString() + "?timeout=" + timeoutSeconds + "s");
    }
    JsonNode svc = clientConfig.path("service");
    String ns = svc.path("namespace").asString("");
    String name = svc.path("name").asString("");
    int port = svc.path("port").asInt(443);
    String path = svc.path("path").asString("/") + "?timeout=" + timeoutSeconds + "s";
    if (!path.startsWith("/")) path = "/" + path;
    String serverName = name + "." + ns + ".svc";
    String url = "https://" + serverName + ":" + port + path;
    ServiceBackends.Backend b;
    try {
      b = ServiceBackends.pick(resources, ns, name, Integer.toString(port), x -> !x.ip().isEmpty());
    } catch (StatusException e) {
      throw new CallFailure("failed to call webhook: Post \"" + url + "\": " + e.getMessage());
    }
    return post(b.ip(), b.port(), serverName, path, body, timeoutSeconds, url);
  }

  /**
   * POSTs {@code body} as JSON to {@code path} at {@code address:port}, verifying the server as
   * {@code serverName}; {@code url} is how failures name the call.
   */
  Answer post(String address, int port, String serverName, String path, byte[] body, int timeoutSeconds, String url) throws CallFailure {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    String post = "Post \"" + url + "\": ";
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(address, port), remainingMillis(deadline));
      try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(plain, serverName, port, true)) {
        SSLParameters params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        if (!isIpLiteral(serverName)) params.setServerNames(java.util.List.of(new SNIHostName(serverName)));
        s.setSSLParameters(params);
        s.setSoTimeout(remainingMillis(deadline));
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + serverName + (port == 443 ? "" : ":" + port)
            + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " + body.length
            + "\r\nConnection: close\r\nUser-Agent: keelson-apiserver\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return read(new BufferedInputStream(s.getInputStream()), s, deadline);
      }
    } catch (SocketTimeoutException e) {
      throw new CallFailure("failed to call webhook: " + post + "context deadline exceeded");
    } catch (ConnectException e) {
      throw new CallFailure("failed to call webhook: " + post + "dial tcp " + address + ":" + port + ": connect: connection refused");
    } catch (javax.net.ssl.SSLException e) {
      throw new CallFailure("failed to call webhook: " + post + "tls: failed to verify certificate: " + e.getMessage());
    } catch (IOException e) {
      throw new CallFailure("failed to call webhook: " + post + e.getMessage());
    }
  }

  private static int remainingMillis(long deadline) throws SocketTimeoutException {
    long left = (deadline - System.nanoTime()) / 1_000_000;
    if (left <= 0) throw new SocketTimeoutException();
    return (int) left;
  }

  private static boolean isIpLiteral(String host) {
    return host.contains(":") || host.chars().allMatch(c -> c == '.' || Character.isDigit(c));
  }

  /** An HTTP/1.1 response: Content-Length, chunked, or up to the end of the connection. */
  private static Answer read(InputStream in, Socket s, long deadline) throws IOException {
    String status = line(in);
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("malformed HTTP response \"" + status + "\"");
    int code = Integer.parseInt(parts[1]);
    long length = -1;
    boolean chunked = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      if (colon < 0) continue;
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      if (name.equals("content-length")) length = Long.parseLong(value);
      if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) chunked = true;
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    s.setSoTimeout(remainingMillis(deadline));
    if (chunked) {
      for (long size = Long.parseLong(line(in).split(";")[0].trim(), 16); size > 0; size = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
        body.write(in.readNBytes((int) size));
        line(in);
      }
    } else if (length >= 0) {
      body.write(in.readNBytes((int) length));
    } else {
      in.transferTo(body);
    }
    return new Answer(code, body.toByteArray());
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) throw new IOException("unexpected end of the webhook's response");
      if (c != '\r') b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}

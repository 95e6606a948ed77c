package io.keelson.apiserver.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A minimal HTTP/1.1 client connection over TLS for the load generator: keep-alive, one request at
 * a time, Content-Length or chunked responses. The JDK's HttpClient costs ~0.9 ms of CPU per
 * request — as much as the api-server itself — and client, api-server and etcd share the same two
 * cores here, so a heavy client would mostly measure itself (wrk and hey are lean for the same reason).
 */
final class Http1Connection implements AutoCloseable {

  record Response(int code, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final SSLSocket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String hostHeader;
  private final String token;

  Http1Connection(SSLContext tls, URI api, String token) throws IOException {
    this.socket = (SSLSocket) tls.getSocketFactory().createSocket(api.getHost(), api.getPort());
    socket.setTcpNoDelay(true);
    socket.startHandshake();
    this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    this.out = socket.getOutputStream();
    this.hostHeader = api.getHost() + ":" + api.getPort();
    this.token = token;
  }

  Response post(String path, byte[] json) throws IOException {
    send("POST", path, json);
    return readResponse();
  }

  /**
   * GET a streaming response (a watch) and hand every line of its body to {@code line} until the
   * server ends it or the connection is closed. Returns the status code.
   */
  int stream(String path, Consumer<String> line) throws IOException {
    send("GET", path, null);
    Head h = readHead();
    if (h.code != 200) {
      readBody(h);
      return h.code;
    }
    ByteArrayOutputStream pending = new ByteArrayOutputStream(1024);
    Consumer<byte[]> data = chunk -> {
      int start = 0;
      for (int i = 0; i < chunk.length; i++) {
        if (chunk[i] == '\n') {
          pending.write(chunk, start, i - start);
          line.accept(pending.toString(StandardCharsets.UTF_8));
          pending.reset();
          start = i + 1;
        }
      }
      pending.write(chunk, start, chunk.length - start);
    };
    if (!h.chunked) throw new IOException("a watch must be a chunked response");
    while (true) {
      byte[] chunk = readChunk();
      if (chunk == null) return h.code;
      data.accept(chunk);
    }
  }

  private void send(String method, String path, byte[] body) throws IOException {
    StringBuilder sb = new StringBuilder(256).append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
        .append(hostHeader).append("\r\nAuthorization: Bearer ").append(token).append("\r\nAccept: application/json\r\n");
    if (body != null) {
      sb.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    sb.append("\r\n");
    byte[] head = sb.toString().getBytes(StandardCharsets.US_ASCII);
    if (body == null) {
      out.write(head);
    } else {
      byte[] all = new byte[head.length + body.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(body, 0, all, head.length, body.length);
      out.write(all);
    }
    out.flush();
  }

  private record Head(int code, long length, boolean chunked) {}

  private Response readResponse() throws IOException {
    Head h = readHead();
    return new Response(h.code, readBody(h));
  }

  private Head readHead() throws IOException {
    String status = readLine();
    if (!status.startsWith("HTTP/1.1 ")) throw new IOException("not an HTTP/1.1 response: " + status);
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    for (String h = readLine(); !h.isEmpty(); h = readLine()) {
      int colon = h.indexOf(':');
      if (colon < 0) continue;
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      if (name.equals("content-length")) length = Long.parseLong(value);
      if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) chunked = true;
    }
    return new Head(code, length, chunked);
  }

  private byte[] readBody(Head h) throws IOException {
    if (h.chunked) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (byte[] c = readChunk(); c != null; c = readChunk()) b.write(c);
      return b.toByteArray();
    }
    if (h.length < 0) throw new IOException("response without Content-Length on a keep-alive connection");
    return in.readNBytes((int) h.length);
  }

  /** The next chunk's data, or null after the last (zero-size) chunk and its trailers. */
  private byte[] readChunk() throws IOException {
    String size = readLine();
    int semi = size.indexOf(';');
    int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
    if (n == 0) {
      while (!readLine().isEmpty()) {
        // trailers
      }
      return null;
    }
    byte[] data = in.readNBytes(n);
    if (data.length < n) throw new EOFException("connection closed inside a chunk");
    readLine(); // CRLF after the data
    return data;
  }

  private String readLine() throws IOException {
    StringBuilder sb = new StringBuilder(64);
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) throw new EOFException("connection closed");
      if (c != '\r') sb.append((char) c);
    }
    return sb.toString();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}

package io.keelson.apiserver.proxy;

import io.keelson.apiserver.portforward.AgentPortCall;
import io.keelson.apiserver.streaming.PodAgents;
import io.keelson.apiserver.status.StatusException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.ReferenceCountUtil;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * One proxied HTTP request to a port of a pod, carried over the pod's agent the way port-forward
 * is (so it reaches container and VM pods on any host, as the kubelet's proxy does): Netty's HTTP
 * client codec — behind a TLS handler for {@code https:} targets, which like kube's proxy does not
 * verify the pod's certificate — turns the client's request into bytes for the agent and the pod's
 * bytes back into a response streamed to the client. One request per pod connection
 * ({@code Connection: close}).
 */
final class PodHttpExchange {
  /** Request and response headers that belong to one hop, not to the proxied message (RFC 9110 7.6.1). */
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
      "trailer", "upgrade", "proxy-authorization", "proxy-authenticate");
  /** How long a pod may stay silent before the proxied request is given up. */
  private static final long IDLE_SECONDS = 300;
  private static final Object END = new Object();
  private static final SslContext INSECURE_TLS = insecureTls();

  private record Failure(String message) {}

  private final EmbeddedChannel codec;
  private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
  private final Object sending = new Object();
  private AgentPortCall call;
  private boolean informational;
  private final boolean tls;

  private PodHttpExchange(boolean tls, String host) {
    this.tls = tls;
    codec = tls
        ? new EmbeddedChannel(INSECURE_TLS.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT, host, 443), new HttpClientCodec())
        : new EmbeddedChannel(new HttpClientCodec());
  }

  /**
   * Sends {@code req}'s method, headers and body to {@code path} on the pod's {@code port} and
   * streams the answer into {@code resp}; a pod that cannot be reached gets kube's 503.
   */
  static void proxy(PodAgents.Target target, int port, boolean tls, String path, HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    String podIp = target.pod().path("status").path("podIP").asString("");
    String host = (podIp.isEmpty() ? target.ref().getPodName() : podIp) + ":" + port;
    new PodHttpExchange(tls, host).run(target, port, path, host, req, resp);
  }

  private void run(PodAgents.Target target, int port, String path, String host, HttpServletRequest req, HttpServletResponse resp)
      throws IOException {
    call = AgentPortCall.open(target, port, new AgentPortCall.Listener() {
      @Override
      public void data(byte[] bytes) {
        synchronized (codec) {
          codec.writeInbound(Unpooled.wrappedBuffer(bytes));
          takeDecoded();
        }
        // TLS answers the pod's handshake messages: sent from another thread, since a write may wait
        // for the call to be ready, which gRPC reports on this (callback) thread
        if (tls) Thread.ofVirtual().start(PodHttpExchange.this::send);
      }

      @Override
      public void ended(String error) {
        synchronized (codec) {
          codec.finish(); // a response delimited by the connection's end is complete now
          takeDecoded();
          for (Object o; (o = codec.readOutbound()) != null; ) ReferenceCountUtil.release(o);
        }
        received.add(error == null ? END : new Failure(error));
      }
    });
    try {
      sendRequest(req, path, host);
      respond(resp, target, port);
    } finally {
      call.cancel("the proxied request ended");
    }
  }

  private void sendRequest(HttpServletRequest req, String path, String host) throws IOException {
    String query = req.getQueryString();
    DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(req.getMethod()),
        query == null ? path : path + "?" + query);
    HttpHeaders h = head.headers();
    for (String name : Collections.list(req.getHeaderNames())) {
      String lower = name.toLowerCase(Locale.ROOT);
      // the caller's credentials are for the api-server, not for the pod (kube drops them too)
      if (HOP_BY_HOP.contains(lower) || lower.equals("host") || lower.equals("authorization")
          || lower.equals("expect")) continue;
      h.add(name, Collections.list(req.getHeaders(name)));
    }
    h.set(HttpHeaderNames.HOST, host);
    h.set(HttpHeaderNames.CONNECTION, "close");
    h.add("X-Forwarded-For", req.getRemoteAddr());
    long length = req.getContentLengthLong();
    boolean body = length > 0 || req.getHeader("Transfer-Encoding") != null;
    if (length >= 0 && body) h.set(HttpHeaderNames.CONTENT_LENGTH, length);
    if (body && length < 0) h.set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
    write(head);
    if (body) {
      InputStream in = req.getInputStream();
      byte[] buf = new byte[16384];
      for (int n; (n = in.read(buf)) > 0; ) {
        write(new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n)));
      }
    }
    write(new DefaultLastHttpContent());
  }

  private void write(Object message) {
    synchronized (codec) {
      if (!codec.isOpen()) { // the pod's side already ended: what it said (or why it failed) is in received
        ReferenceCountUtil.release(message);
        return;
      }
      codec.writeOutbound(message);
    }
    send();
  }

  /** Moves what the codec encoded to the agent, in order, whichever thread encoded it. */
  private void send() {
    synchronized (sending) {
      List<ByteBuf> out = new ArrayList<>();
      synchronized (codec) {
        for (ByteBuf b; (b = codec.readOutbound()) != null; ) out.add(b);
      }
      for (ByteBuf b : out) {
        try {
          byte[] bytes = ByteBufUtil.getBytes(b);
          call.write(bytes, 0, bytes.length);
        } finally {
          b.release();
        }
      }
    }
  }

  /** Under the codec's lock: queues the response parts the codec decoded, as plain values. */
  private void takeDecoded() {
    for (Object o; (o = codec.readInbound()) != null; ) {
      try {
        if (o instanceof HttpResponse r) {
          informational = r.status().code() < 200; // 100 Continue and the like stay between us and the pod
          if (!informational) received.add(r);
        }
        if (informational) continue;
        if (o instanceof HttpContent c && c.content().isReadable()) received.add(ByteBufUtil.getBytes(c.content()));
        if (o instanceof LastHttpContent) received.add(END);
      } finally {
        ReferenceCountUtil.release(o);
      }
    }
  }

  private void respond(HttpServletResponse resp, PodAgents.Target target, int port) throws IOException {
    OutputStream out = null;
    while (true) {
      Object next;
      try {
        next = received.poll(IDLE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (next == null || next == END || next instanceof Failure) {
        if (out == null) {
          String why = next == null ? "no answer within " + IDLE_SECONDS + "s"
              : next instanceof Failure f ? f.message() : "the connection closed before a response";
          throw StatusException.unavailable("error trying to reach service: port " + port + " of pod "
              + target.ref().getNamespace() + "/" + target.ref().getPodName() + ": " + why);
        }
        return; // after the head, all the client can see is the body ending
      }
      if (next instanceof HttpResponse r) {
        resp.setStatus(r.status().code());
        for (var e : r.headers()) {
          if (!HOP_BY_HOP.contains(e.getKey().toLowerCase(Locale.ROOT))) resp.addHeader(e.getKey(), e.getValue());
        }
        out = resp.getOutputStream();
      } else if (next instanceof byte[] chunk && out != null) {
        out.write(chunk);
        if (received.isEmpty()) out.flush(); // stream as the pod sends (server-sent events, long polls)
      }
    }
  }

  private static SslContext insecureTls() {
    try {
      return SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
    } catch (SSLException e) {
      throw new IllegalStateException(e);
    }
  }
}

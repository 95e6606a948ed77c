package io.keelson.agent.dns;

import io.keelson.agent.service.ServiceCatalog;
import io.keelson.agent.service.ServiceCatalog.Snapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;

/**
 * A node's DNS server, on UDP and TCP at one address (the node's pod gateway, port 53): queries
 * about the {@link ClusterZone} are answered from the Service catalog, everything else goes to the
 * {@link Upstream} resolvers. Each query runs on a virtual thread, at most {@link #MAX_IN_FLIGHT} at
 * once (further UDP queries wait in the socket's buffer, where the kernel drops the excess as a
 * busy server would) and {@link #MAX_TCP_CONNECTIONS} TCP connections.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int MAX_IN_FLIGHT = 256;
  static final int MAX_TCP_CONNECTIONS = 64;
  private static final int TCP_IDLE_MILLIS = 10_000;

  private final ClusterZone zone;
  private final Supplier<Snapshot> snapshots;
  private final Upstream upstream;
  private final MeterRegistry registry;
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Semaphore connections = new Semaphore(MAX_TCP_CONNECTIONS);
  private final AtomicBoolean closed = new AtomicBoolean();

  private DnsServer(ClusterZone zone, Supplier<Snapshot> snapshots, Upstream upstream, MeterRegistry registry,
      DatagramSocket udp, ServerSocket tcp) {
    this.zone = zone;
    this.snapshots = snapshots;
    this.upstream = upstream;
    this.registry = registry;
    this.udp = udp;
    this.tcp = tcp;
  }

  /**
   * Serves {@code zone} at {@code address:port} (port 0: an ephemeral port, the same for UDP and TCP).
   *
   * @param snapshots the catalog's current snapshot, null until it has synced (then cluster names are SERVFAIL)
   * @param registry where the query counter goes, or null
   */
  public static DnsServer start(InetAddress address, int port, ClusterZone zone, Supplier<Snapshot> snapshots,
      Upstream upstream, MeterRegistry registry) throws IOException {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      DatagramSocket udp = new DatagramSocket(null);
      try {
        udp.setReuseAddress(true);
        udp.bind(new InetSocketAddress(address, port));
        ServerSocket tcp = new ServerSocket();
        try {
          tcp.setReuseAddress(true);
          tcp.bind(new InetSocketAddress(address, udp.getLocalPort()), 128);
        } catch (IOException e) {
          tcp.close();
          throw e;
        }
        DnsServer s = new DnsServer(zone, snapshots, upstream, registry, udp, tcp);
        Thread.ofPlatform().daemon().name("dns-udp-" + address.getHostAddress()).start(s::serveUdp);
        Thread.ofPlatform().daemon().name("dns-tcp-" + address.getHostAddress()).start(s::serveTcp);
        log.info("cluster DNS for {} on {}:{} (udp, tcp), forwarding to {}", zone.domain(), address.getHostAddress(),
            udp.getLocalPort(), upstream.servers());
        return s;
      } catch (IOException e) {
        udp.close();
        last = e;
        if (port != 0) {
          break; // only an ephemeral UDP port can be taken on TCP by someone else: then try another
        }
      }
    }
    throw last;
  }

  /**
   * The catalog's snapshot, taken again only after it changed (a snapshot copies every Service),
   * null until the catalog has synced.
   */
  public static Supplier<Snapshot> snapshots(ServiceCatalog catalog) {
    AtomicBoolean dirty = new AtomicBoolean(true);
    catalog.onChange(() -> dirty.set(true));
    Snapshot[] current = {Snapshot.EMPTY};
    return () -> {
      if (!catalog.synced()) {
        return null;
      }
      synchronized (current) {
        if (dirty.getAndSet(false)) {
          current[0] = catalog.snapshot(); // a change during this sets dirty again
        }
        return current[0];
      }
    };
  }

  public int port() {
    return udp.getLocalPort();
  }

  public InetAddress address() {
    return udp.getLocalAddress();
  }

  /** A query in wire format, or null when it cannot be parsed (then there is no one to answer). */
  private static Message parse(byte[] wire) {
    try {
      return new Message(wire);
    } catch (IOException e) {
      return null;
    }
  }

  /** The response to one query. */
  Message handle(Message query) {
    Message resp = respond(query);
    count(resp.getRcode());
    return resp;
  }

  private Message respond(Message query) {
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      return DnsMessages.error(query, Rcode.NOTIMP);
    }
    Record q = query.getQuestion();
    if (q == null) {
      return DnsMessages.error(query, Rcode.FORMERR);
    }
    Snapshot snapshot = snapshots.get();
    if (zone.contains(q.getName())) {
      // not synced: a lookup could say NXDOMAIN for a Service that exists
      return snapshot == null ? DnsMessages.error(query, Rcode.SERVFAIL) : zone.answer(query, snapshot);
    }
    if (snapshot != null && zone.answers(query, snapshot)) {
      return zone.answer(query, snapshot);
    }
    return upstream.forward(query);
  }

  private void count(int rcode) {
    if (registry != null) {
      Counter.builder("keelson.agent.dns.queries")
          .description("DNS queries answered by the node-local cluster DNS, by response code")
          .tag("rcode", DnsMessages.rcodeName(rcode))
          .register(registry)
          .increment();
    }
  }

  private void serveUdp() {
    while (!closed.get()) {
      DatagramPacket packet = new DatagramPacket(new byte[DnsMessages.UDP_EDNS_MAX * 2], DnsMessages.UDP_EDNS_MAX * 2);
      try {
        udp.receive(packet);
        inFlight.acquire();
      } catch (IOException | InterruptedException e) {
        if (!closed.get()) {
          log.warn("dns udp: {}", e.toString());
        }
        continue;
      }
      byte[] wire = Arrays.copyOf(packet.getData(), packet.getLength());
      var from = packet.getSocketAddress();
      Thread.ofVirtual().name("dns-query").start(() -> {
        try {
          Message query = parse(wire);
          if (query != null) {
            byte[] out = handle(query).toWire(DnsMessages.udpLimit(query));
            udp.send(new DatagramPacket(out, out.length, from));
          }
        } catch (IOException | RuntimeException e) {
          log.debug("dns udp reply to {}: {}", from, e.toString());
        } finally {
          inFlight.release();
        }
      });
    }
  }

  private void serveTcp() {
    while (!closed.get()) {
      Socket s;
      try {
        s = tcp.accept();
      } catch (IOException e) {
        if (!closed.get()) {
          log.warn("dns tcp: {}", e.toString());
        }
        continue;
      }
      if (!connections.tryAcquire()) {
        closeQuietly(s);
        continue;
      }
      Thread.ofVirtual().name("dns-tcp-conn").start(() -> {
        try (s) {
          s.setSoTimeout(TCP_IDLE_MILLIS);
          DataInputStream in = new DataInputStream(s.getInputStream());
          DataOutputStream out = new DataOutputStream(s.getOutputStream());
          while (true) {
            byte[] wire = new byte[in.readUnsignedShort()];
            in.readFully(wire);
            Message query = parse(wire);
            if (query == null) {
              return;
            }
            Message resp;
            inFlight.acquire();
            try {
              resp = handle(query);
            } finally {
              inFlight.release();
            }
            byte[] bytes = resp.toWire(65535);
            out.writeShort(bytes.length);
            out.write(bytes);
            out.flush();
          }
        } catch (IOException e) {
          // the client closed the connection or went idle
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          connections.release();
        }
      });
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      udp.close();
      try {
        tcp.close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing dns tcp: {}", e.toString());
      }
    }
  }
}

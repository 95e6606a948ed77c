package io.keelson.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.keelson.agent.service.ServiceCatalog;
import io.keelson.agent.service.ServiceCatalog.Snapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** The server on real sockets (127.0.0.1, an ephemeral port), asked by dnsjava's resolver, forwarding to a stub upstream. */
class DnsServerTest {
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  final AtomicReference<Snapshot> snapshot = new AtomicReference<>(Catalogs.shop());
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  DnsServer server;
  StubUpstream stub;

  /** An upstream resolver that answers every A query with 192.0.2.7 and counts them. */
  static final class StubUpstream implements AutoCloseable {
    final DatagramSocket socket;
    final AtomicInteger queries = new AtomicInteger();

    StubUpstream() throws Exception {
      socket = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
      Thread.ofVirtual().start(() -> {
        while (!socket.isClosed()) {
          try {
            DatagramPacket p = new DatagramPacket(new byte[1500], 1500);
            socket.receive(p);
            queries.incrementAndGet();
            Message q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            Message r = DnsMessages.responseTo(q);
            r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 60, InetAddress.getByName("192.0.2.7")), Section.ANSWER);
            byte[] out = r.toWire();
            socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
          } catch (Exception e) {
            // closed
          }
        }
      });
    }

    InetSocketAddress address() {
      return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    @Override
    public void close() {
      socket.close();
    }
  }

  private DnsServer start(List<InetSocketAddress> upstreams) throws Exception {
    server = DnsServer.start(LOOPBACK, 0, new ClusterZone("cluster.local"), snapshot::get, new Upstream(upstreams), registry);
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  private Message ask(String name, int type, boolean tcp) throws Exception {
    SimpleResolver r = new SimpleResolver(new InetSocketAddress(LOOPBACK, server.port()));
    r.setTCP(tcp);
    r.setTimeout(Duration.ofSeconds(5));
    return r.send(Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN)));
  }

  private static List<String> addresses(Message m) {
    return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
  }

  @Test
  void answersClusterNamesOverUdpAndTcp() throws Exception {
    stub = new StubUpstream();
    start(List.of(stub.address()));
    assertThat(addresses(ask("web.shop.svc.cluster.local", Type.A, false))).containsExactly("10.96.0.10");
    assertThat(addresses(ask("web.shop.svc.cluster.local", Type.A, true))).containsExactly("10.96.0.10");
    Message nx = ask("nope.shop.svc.cluster.local", Type.A, false);
    assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(stub.queries.get()).as("cluster names never go upstream").isZero();
    assertThat(registry.get("keelson.agent.dns.queries").tag("rcode", "NOERROR").counter().count()).isEqualTo(2);
    assertThat(registry.get("keelson.agent.dns.queries").tag("rcode", "NXDOMAIN").counter().count()).isEqualTo(1);
  }

  @Test
  void forwardsOtherNamesUpstream() throws Exception {
    stub = new StubUpstream();
    start(List.of(stub.address()));
    Message m = ask("www.example.com", Type.A, false);
    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(addresses(m)).containsExactly("192.0.2.7");
    assertThat(m.getHeader().getFlag(Flags.AA)).isFalse();
    assertThat(stub.queries.get()).isEqualTo(1);
  }

  @Test
  void servfailWhenNoUpstreamAnswers() throws Exception {
    try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      start(List.of((InetSocketAddress) silent.getLocalSocketAddress()));
      long t0 = System.nanoTime();
      assertThat(ask("www.example.com", Type.A, false).getRcode()).isEqualTo(Rcode.SERVFAIL);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    }
  }

  @Test
  void clusterNamesAreServfailUntilTheCatalogSynced() throws Exception {
    stub = new StubUpstream();
    snapshot.set(null);
    start(List.of(stub.address()));
    assertThat(ask("web.shop.svc.cluster.local", Type.A, false).getRcode()).as("not a wrong NXDOMAIN").isEqualTo(Rcode.SERVFAIL);
    assertThat(addresses(ask("www.example.com", Type.A, false))).as("forwarding works meanwhile").containsExactly("192.0.2.7");
    snapshot.set(Catalogs.shop());
    assertThat(addresses(ask("web.shop.svc.cluster.local", Type.A, false))).containsExactly("10.96.0.10");
  }

  @Test
  void aLargeAnswerIsTruncatedOverUdpAndWholeOverTcp() throws Exception {
    var big = new ServiceBuilder().withNewMetadata().withNamespace("shop").withName("big").endMetadata()
        .withNewSpec().withClusterIP("None").endSpec().build();
    var slice = new EndpointSliceBuilder().withNewMetadata().withNamespace("shop").withName("big-x")
        .addToLabels(ServiceCatalog.SERVICE_NAME_LABEL, "big").endMetadata().withAddressType("IPv4")
        .withEndpoints(IntStream.range(1, 101).mapToObj(i -> new EndpointBuilder().withAddresses("10.244.1." + i).build()).toList())
        .build();
    snapshot.set(Snapshot.of(List.of(big), List.of(slice)));
    start(List.of());
    SimpleResolver udp = new SimpleResolver(new InetSocketAddress(LOOPBACK, server.port()));
    udp.setIgnoreTruncation(true);
    udp.setEDNS(-1); // a plain client: 512 bytes
    Message truncated = udp.send(Message.newQuery(Record.newRecord(Name.fromString("big.shop.svc.cluster.local."), Type.A, DClass.IN)));
    assertThat(truncated.getHeader().getFlag(Flags.TC)).isTrue();
    assertThat(addresses(ask("big.shop.svc.cluster.local", Type.A, true))).hasSize(100);
  }
}

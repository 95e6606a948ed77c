package io.keelson.agent.dns;

import io.keelson.agent.service.ServiceCatalog;
import io.keelson.agent.service.ServiceCatalog.Snapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * A real node's cluster DNS: one {@link DnsServer} on port 53 at the node's pod gateway address,
 * answering {@value #CLUSTER_DOMAIN} from the node's Service catalog and forwarding the rest to
 * the resolvers of the agent's own /etc/resolv.conf. Every node serves its own pods, so lookups
 * never leave the node and need no Service of their own.
 */
public final class NodeDns implements AutoCloseable {
  public static final String CLUSTER_DOMAIN = "cluster.local";
  public static final Path HOST_RESOLV_CONF = Path.of("/etc/resolv.conf");
  static final int PORT = 53;

  private final ClusterZone zone = new ClusterZone(CLUSTER_DOMAIN);
  private final Supplier<Snapshot> snapshots;
  private final MeterRegistry registry;
  private DnsServer server;

  /** @param registry where the query counter goes, or null */
  public NodeDns(ServiceCatalog catalog, MeterRegistry registry) {
    this.snapshots = DnsServer.snapshots(catalog);
    this.registry = registry;
  }

  /**
   * Serves at {@code address} (port 53), moving there if it served elsewhere (the pod CIDR changed);
   * idempotent.
   */
  public synchronized void serveAt(String address) throws IOException {
    if (server != null && server.address().getHostAddress().equals(address)) {
      return;
    }
    close();
    InetAddress bind = DnsMessages.literal(address);
    if (bind == null) {
      throw new IOException("not an IP address: " + address);
    }
    Upstream upstream = Upstream.of(ResolvConf.read(HOST_RESOLV_CONF), address);
    server = DnsServer.start(bind, PORT, zone, snapshots, upstream, registry);
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}

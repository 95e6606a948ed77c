package io.keelson.agent.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SimpleResolver;

/**
 * The resolvers names outside the cluster zone are forwarded to (CoreDNS's {@code forward .
 * /etc/resolv.conf}): tried in order, {@link #TIMEOUT} each; SERVFAIL when none answers.
 */
public final class Upstream {
  private static final Logger log = LoggerFactory.getLogger(Upstream.class);
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final List<InetSocketAddress> servers;

  public Upstream(List<InetSocketAddress> servers) {
    this.servers = List.copyOf(servers);
  }

  /**
   * The nameservers of a host's resolv.conf on port 53, without {@code self} (a node whose own
   * resolv.conf points at its node-local DNS must not forward to itself).
   */
  public static Upstream of(ResolvConf host, String self) {
    return new Upstream(host.nameservers().stream()
        .filter(s -> !s.equals(self))
        .filter(s -> DnsMessages.literal(s) != null)
        .map(s -> new InetSocketAddress(DnsMessages.literal(s), 53))
        .toList());
  }

  public List<InetSocketAddress> servers() {
    return servers;
  }

  /** The first upstream answer to {@code query} (with the query's id), else SERVFAIL. */
  public Message forward(Message query) {
    for (InetSocketAddress server : servers) {
      SimpleResolver r = new SimpleResolver(server);
      r.setTimeout(TIMEOUT);
      try {
        Message resp = r.send(query.clone());
        resp.getHeader().setID(query.getHeader().getID());
        return resp;
      } catch (IOException e) {
        log.debug("upstream {} did not answer {}: {}", server, query.getQuestion(), e.toString());
      }
    }
    return DnsMessages.error(query, Rcode.SERVFAIL);
  }
}

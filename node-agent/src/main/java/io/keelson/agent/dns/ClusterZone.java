package io.keelson.agent.dns;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.keelson.agent.service.ServiceCatalog.Snapshot;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The cluster's DNS zone ({@code cluster.local}) computed from a {@link Snapshot} of Services and
 * EndpointSlices, as the Kubernetes DNS-based service discovery specification and CoreDNS's
 * kubernetes plugin ({@code pods insecure}, PTR for {@code in-addr.arpa} with fallthrough) answer:
 *
 * <ul>
 *   <li>{@code <svc>.<ns>.svc.<zone>}: A/AAAA of the ClusterIP; of the ready endpoints for a headless
 *       Service (all of them with publishNotReadyAddresses); CNAME for an ExternalName Service; SRV
 *       for every port;
 *   <li>{@code _<port>._<proto>.<svc>.<ns>.svc.<zone>}: SRV for a named port (per endpoint for a
 *       headless Service, targets in the additional section);
 *   <li>{@code <hostname>.<svc>.<ns>.svc.<zone>}: an endpoint of a headless Service, named by its
 *       hostname (pods with spec.hostname and spec.subdomain) or its dashed IP;
 *   <li>{@code <a-b-c-d>.<ns>.pod.<zone>}: that IP, unchecked;
 *   <li>PTR of ClusterIPs and headless endpoints; {@code dns-version.<zone>} TXT; SOA and NS at the apex.
 * </ul>
 *
 * A name under the zone that does not exist is NXDOMAIN, an existing name without records of the
 * asked type NOERROR with no answer; both carry the SOA in the authority section.
 */
public final class ClusterZone {

  /** kubeadm's Corefile sets {@code ttl 30} for the kubernetes plugin. */
  public static final long TTL = 30;
  static final String SPEC_VERSION = "1.1.0";

  private final Name zone;
  private final Name nameserver;
  private final SOARecord soa;

  public ClusterZone(String domain) {
    try {
      this.zone = Name.fromString(domain, Name.root);
      this.nameserver = Name.fromString("ns.dns", zone);
      this.soa = new SOARecord(zone, DClass.IN, TTL, nameserver, Name.fromString("hostmaster", zone),
          1, 7200, 1800, 86400, TTL);
    } catch (TextParseException e) {
      throw new IllegalArgumentException("bad cluster domain " + domain + ": " + e.getMessage(), e);
    }
  }

  public String domain() {
    return zone.toString(true);
  }

  /** Whether {@code name} is in the zone (then this zone's answer is final, even NXDOMAIN). */
  public boolean contains(Name name) {
    return name.subdomain(zone);
  }

  /** Whether {@code query} is about this zone (or a PTR of one of its addresses): else it is forwarded. */
  public boolean answers(Message query, Snapshot snapshot) {
    Record q = query.getQuestion();
    if (q == null) {
      return false;
    }
    if (q.getName().subdomain(zone)) {
      return true;
    }
    return q.getType() == Type.PTR && !reverse(q.getName(), snapshot).isEmpty();
  }

  /** The authoritative response to a query {@link #answers} said is ours. */
  public Message answer(Message query, Snapshot snapshot) {
    Record q = query.getQuestion();
    Message resp = DnsMessages.responseTo(query);
    resp.getHeader().setFlag(Flags.AA);
    Name name = q.getName();
    List<Record> records;
    List<Record> additional = new ArrayList<>();
    if (name.subdomain(zone)) {
      records = records(name, snapshot, additional);
    } else {
      records = reverse(name, snapshot);
    }
    if (records == null) {
      resp.getHeader().setRcode(Rcode.NXDOMAIN);
      resp.addRecord(soa, Section.AUTHORITY);
      return resp;
    }
    List<Record> answer = new ArrayList<>();
    for (Record r : records) {
      if (r.getType() == q.getType() || q.getType() == Type.ANY || r.getType() == Type.CNAME) {
        answer.add(r);
      }
    }
    if (answer.isEmpty()) {
      resp.addRecord(soa, Section.AUTHORITY);
      return resp;
    }
    answer.forEach(r -> resp.addRecord(r, Section.ANSWER));
    if (q.getType() == Type.SRV || q.getType() == Type.ANY) {
      additional.forEach(r -> resp.addRecord(r, Section.ADDITIONAL));
    }
    return resp;
  }

  /** The records of {@code name} (inside the zone), empty for a name without any, null when it does not exist. */
  List<Record> records(Name name, Snapshot snapshot, List<Record> additional) {
    List<String> labels = relativeLabels(name);
    if (labels.isEmpty()) {
      return List.of(soa, new NSRecord(zone, DClass.IN, TTL, nameserver));
    }
    String top = labels.get(0);
    int n = labels.size();
    if (n == 1 && top.equals("dns-version")) {
      return List.of(new TXTRecord(name, DClass.IN, TTL, SPEC_VERSION));
    }
    if (top.equals("svc")) {
      if (n == 1) {
        return List.of();
      }
      String ns = labels.get(1);
      if (n == 2) {
        return snapshot.services().keySet().stream().anyMatch(k -> k.startsWith(ns + "/")) ? List.of() : null;
      }
      Service svc = snapshot.services().get(ns + "/" + labels.get(2));
      if (svc == null) {
        return null;
      }
      Name svcName = absolute(labels.get(2) + "." + ns + ".svc");
      if (n == 3) {
        return serviceRecords(svc, svcName, snapshot, additional);
      }
      if (labels.get(3).startsWith("_")) {
        return portRecords(svc, svcName, labels.subList(3, n), snapshot, additional);
      }
      if (n == 4 && headless(svc)) {
        List<Record> out = new ArrayList<>();
        for (Endpoint e : endpoints(svc, snapshot).keySet()) {
          if (labels.get(3).equals(endpointName(e))) {
            e.getAddresses().forEach(ip -> addAddress(out, name, ip));
          }
        }
        return out.isEmpty() ? null : out;
      }
      return null;
    }
    if (top.equals("pod")) {
      if (n <= 2) {
        return List.of();
      }
      if (n == 3) {
        String ip = labels.get(2).replace('-', '.');
        InetAddress addr = DnsMessages.ipv4(ip);
        return addr == null ? null : List.of(new ARecord(name, DClass.IN, TTL, addr));
      }
    }
    return null;
  }

  private List<Record> serviceRecords(Service svc, Name name, Snapshot snapshot, List<Record> additional) {
    List<Record> out = new ArrayList<>();
    if ("ExternalName".equals(svc.getSpec().getType())) {
      String target = svc.getSpec().getExternalName();
      if (target != null && !target.isEmpty()) {
        out.add(new CNAMERecord(name, DClass.IN, TTL, absolute(target, Name.root)));
      }
      return out;
    }
    if (!headless(svc)) {
      clusterIps(svc).forEach(ip -> addAddress(out, name, ip));
    } else {
      for (Endpoint e : endpoints(svc, snapshot).keySet()) {
        e.getAddresses().forEach(ip -> addAddress(out, name, ip));
      }
    }
    if (svc.getSpec().getPorts() != null) {
      for (ServicePort p : svc.getSpec().getPorts()) {
        out.addAll(srv(svc, name, p.getName(), protocol(p.getProtocol()), snapshot, additional));
      }
    }
    return out;
  }

  /** {@code _<port>._<proto>.<svc>...} ({@code rest} = those labels) and the empty non-terminal {@code _<proto>.<svc>...}. */
  private List<Record> portRecords(Service svc, Name svcName, List<String> rest, Snapshot snapshot, List<Record> additional) {
    if (svc.getSpec().getPorts() == null || "ExternalName".equals(svc.getSpec().getType())) {
      return null;
    }
    String proto = rest.get(0).substring(1);
    if (rest.size() == 1) {
      boolean any = svc.getSpec().getPorts().stream().anyMatch(p -> protocol(p.getProtocol()).equals(proto));
      return any ? List.of() : null;
    }
    if (rest.size() != 2 || !rest.get(1).startsWith("_")) {
      return null;
    }
    String port = rest.get(1).substring(1);
    for (ServicePort p : svc.getSpec().getPorts()) {
      if (p.getName() != null && p.getName().toLowerCase(Locale.ROOT).equals(port) && protocol(p.getProtocol()).equals(proto)) {
        Name owner = absolute("_" + port + "._" + proto + "." + svcName.toString(true), Name.root);
        List<Record> out = new ArrayList<>();
        for (Record r : srv(svc, svcName, p.getName(), proto, snapshot, additional)) {
          SRVRecord s = (SRVRecord) r;
          out.add(new SRVRecord(owner, DClass.IN, TTL, s.getPriority(), s.getWeight(), s.getPort(), s.getTarget()));
        }
        return out;
      }
    }
    return null;
  }

  /** SRV records of one port of {@code svc} (owned by the Service's name; callers re-own them). */
  private List<Record> srv(Service svc, Name svcName, String portName, String proto, Snapshot snapshot, List<Record> additional) {
    List<Record> out = new ArrayList<>();
    if (!headless(svc)) {
      for (ServicePort p : svc.getSpec().getPorts()) {
        if (java.util.Objects.equals(p.getName(), portName) && protocol(p.getProtocol()).equals(proto)) {
          out.add(new SRVRecord(svcName, DClass.IN, TTL, 0, 100, p.getPort(), svcName));
        }
      }
      return out;
    }
    Map<Endpoint, EndpointSlice> eps = endpoints(svc, snapshot);
    int weight = eps.isEmpty() ? 100 : Math.max(1, 100 / eps.size());
    for (Map.Entry<Endpoint, EndpointSlice> e : eps.entrySet()) {
      Integer port = slicePort(e.getValue(), portName, proto);
      if (port == null) {
        continue;
      }
      Name target = absolute(endpointName(e.getKey()) + "." + svcName.toString(true), Name.root);
      out.add(new SRVRecord(svcName, DClass.IN, TTL, 0, weight, port, target));
      e.getKey().getAddresses().forEach(ip -> addAddress(additional, target, ip));
    }
    return out;
  }

  private static Integer slicePort(EndpointSlice slice, String name, String proto) {
    if (slice.getPorts() == null) {
      return null;
    }
    for (EndpointPort p : slice.getPorts()) {
      String pn = p.getName() == null ? "" : p.getName();
      if (pn.equals(name == null ? "" : name) && protocol(p.getProtocol()).equals(proto)) {
        return p.getPort();
      }
    }
    return null;
  }

  /** PTR of a ClusterIP or headless endpoint IP; empty when none (then it is forwarded). */
  List<Record> reverse(Name name, Snapshot snapshot) {
    String ip = reverseIp(name);
    if (ip == null) {
      return List.of();
    }
    List<Record> out = new ArrayList<>();
    for (Service svc : snapshot.services().values()) {
      String ns = svc.getMetadata().getNamespace();
      Name svcName = absolute(svc.getMetadata().getName() + "." + ns + ".svc");
      if (!headless(svc)) {
        if (clusterIps(svc).contains(ip)) {
          out.add(new PTRRecord(name, DClass.IN, TTL, svcName));
        }
        continue;
      }
      for (Endpoint e : endpoints(svc, snapshot).keySet()) {
        if (e.getAddresses().contains(ip)) {
          out.add(new PTRRecord(name, DClass.IN, TTL, absolute(endpointName(e) + "." + svcName.toString(true), Name.root)));
        }
      }
    }
    return out;
  }

  /** The IPv4 address of an {@code d.c.b.a.in-addr.arpa.} name, else null. */
  private static String reverseIp(Name name) {
    String s = name.toString(true).toLowerCase(Locale.ROOT);
    if (!s.endsWith(".in-addr.arpa")) {
      return null;
    }
    String[] o = s.substring(0, s.length() - ".in-addr.arpa".length()).split("\\.");
    if (o.length != 4) {
      return null;
    }
    String ip = o[3] + "." + o[2] + "." + o[1] + "." + o[0];
    return DnsMessages.ipv4(ip) == null ? null : ip;
  }

  static boolean headless(Service svc) {
    return "None".equals(svc.getSpec().getClusterIP());
  }

  private static List<String> clusterIps(Service svc) {
    List<String> ips = svc.getSpec().getClusterIPs();
    if (ips != null && !ips.isEmpty()) {
      return ips;
    }
    String ip = svc.getSpec().getClusterIP();
    return ip == null || ip.isEmpty() ? List.of() : List.of(ip);
  }

  /** The endpoints a headless Service publishes (ready ones; all with publishNotReadyAddresses), with their slice. */
  private static Map<Endpoint, EndpointSlice> endpoints(Service svc, Snapshot snapshot) {
    boolean all = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    Map<Endpoint, EndpointSlice> out = new LinkedHashMap<>();
    for (EndpointSlice slice : snapshot.slicesOf(svc.getMetadata().getNamespace(), svc.getMetadata().getName())) {
      if (slice.getEndpoints() == null) {
        continue;
      }
      for (Endpoint e : slice.getEndpoints()) {
        // discovery/v1: a nil ready condition means ready
        boolean ready = e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
        if ((ready || all) && e.getAddresses() != null && !e.getAddresses().isEmpty()) {
          out.put(e, slice);
        }
      }
    }
    return out;
  }

  /** The endpoint's DNS label: its hostname, else its first address with dashes (as CoreDNS names it). */
  static String endpointName(Endpoint e) {
    if (e.getHostname() != null && !e.getHostname().isEmpty()) {
      return e.getHostname().toLowerCase(Locale.ROOT);
    }
    return e.getAddresses().get(0).replace('.', '-').replace(':', '-');
  }

  private static String protocol(String p) {
    return p == null || p.isEmpty() ? "tcp" : p.toLowerCase(Locale.ROOT);
  }

  private static void addAddress(List<Record> out, Name name, String ip) {
    InetAddress addr = DnsMessages.literal(ip);
    if (addr instanceof Inet4Address) {
      out.add(new ARecord(name, DClass.IN, TTL, addr));
    } else if (addr != null) {
      out.add(new AAAARecord(name, DClass.IN, TTL, addr));
    }
  }

  /** The labels of {@code name} below the zone, outermost first ("svc", ns, service, ...), lower-cased. */
  private List<String> relativeLabels(Name name) {
    int count = name.labels() - zone.labels();
    List<String> out = new ArrayList<>(count);
    for (int i = count - 1; i >= 0; i--) {
      out.add(name.getLabelString(i).toLowerCase(Locale.ROOT));
    }
    return out;
  }

  private Name absolute(String relative) {
    return absolute(relative, zone);
  }

  private static Name absolute(String s, Name origin) {
    try {
      return Name.fromString(s, origin);
    } catch (TextParseException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}

package io.keelson.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.agent.service.ServiceCatalog.Snapshot;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class ClusterZoneTest {
  final ClusterZone zone = new ClusterZone("cluster.local");
  final Snapshot shop = Catalogs.shop();

  private Message ask(String name, int type) throws Exception {
    return ask(Name.fromString(name, Name.root), type);
  }

  private Message ask(Name name, int type) {
    Message q = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    return zone.answer(q, shop);
  }

  private static List<String> answers(Message m) {
    return m.getSection(Section.ANSWER).stream().map(r -> Type.string(r.getType()) + " " + r.rdataToString()).toList();
  }

  @Test
  void aClusterIpServiceResolvesToItsClusterIp() throws Exception {
    Message m = ask("web.shop.svc.cluster.local", Type.A);
    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(answers(m)).containsExactly("A 10.96.0.10");
    assertThat(m.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(ClusterZone.TTL);
    assertThat(answers(ask("WEB.Shop.SVC.cluster.LOCAL", Type.A))).as("names are case-insensitive").containsExactly("A 10.96.0.10");
  }

  @Test
  void aHeadlessServiceResolvesToItsReadyEndpoints() throws Exception {
    assertThat(answers(ask("db.shop.svc.cluster.local", Type.A))).containsExactlyInAnyOrder("A 10.244.0.5", "A 10.244.0.6");
    assertThat(answers(ask("early.shop.svc.cluster.local", Type.A))).as("publishNotReadyAddresses").containsExactly("A 10.244.0.9");
  }

  @Test
  void endpointsOfAHeadlessServiceHaveNamesOfTheirOwn() throws Exception {
    assertThat(answers(ask("db-0.db.shop.svc.cluster.local", Type.A))).containsExactly("A 10.244.0.5");
    assertThat(answers(ask("10-244-0-6.db.shop.svc.cluster.local", Type.A))).as("no hostname: the dashed IP").containsExactly("A 10.244.0.6");
    assertThat(ask("db-2.db.shop.svc.cluster.local", Type.A).getRcode()).as("not ready").isEqualTo(Rcode.NXDOMAIN);
    assertThat(ask("x.web.shop.svc.cluster.local", Type.A).getRcode()).as("a ClusterIP Service has no endpoint names").isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void namedPortsHaveSrvRecords() throws Exception {
    Message m = ask("_http._tcp.web.shop.svc.cluster.local", Type.SRV);
    assertThat(answers(m)).containsExactly("SRV 0 100 80 web.shop.svc.cluster.local.");
    assertThat(answers(ask("_dns._udp.web.shop.svc.cluster.local", Type.SRV))).containsExactly("SRV 0 100 53 web.shop.svc.cluster.local.");
    assertThat(ask("_http._udp.web.shop.svc.cluster.local", Type.SRV).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(ask("_tcp.web.shop.svc.cluster.local", Type.SRV).getRcode()).as("empty non-terminal").isEqualTo(Rcode.NOERROR);

    Message headless = ask("_pg._tcp.db.shop.svc.cluster.local", Type.SRV);
    assertThat(answers(headless)).containsExactlyInAnyOrder(
        "SRV 0 50 5432 db-0.db.shop.svc.cluster.local.", "SRV 0 50 5432 10-244-0-6.db.shop.svc.cluster.local.");
    assertThat(headless.getSection(Section.ADDITIONAL).stream().map(r -> r.getName() + " " + r.rdataToString()))
        .containsExactlyInAnyOrder("db-0.db.shop.svc.cluster.local. 10.244.0.5", "10-244-0-6.db.shop.svc.cluster.local. 10.244.0.6");
    assertThat(answers(ask("web.shop.svc.cluster.local", Type.SRV))).as("SRV of the service name: every port")
        .containsExactlyInAnyOrder("SRV 0 100 80 web.shop.svc.cluster.local.", "SRV 0 100 53 web.shop.svc.cluster.local.");
  }

  @Test
  void anExternalNameServiceIsACname() throws Exception {
    assertThat(answers(ask("legacy.shop.svc.cluster.local", Type.A))).containsExactly("CNAME legacy.example.com.");
  }

  @Test
  void podNamesEchoTheirDashedIp() throws Exception {
    assertThat(answers(ask("10-244-1-7.shop.pod.cluster.local", Type.A))).containsExactly("A 10.244.1.7");
    assertThat(ask("10-244-1.shop.pod.cluster.local", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void ptrRecordsNameClusterIpsAndEndpoints() throws Exception {
    assertThat(answers(ask(ReverseMap.fromAddress("10.96.0.10"), Type.PTR))).containsExactly("PTR web.shop.svc.cluster.local.");
    assertThat(answers(ask(ReverseMap.fromAddress("10.244.0.5"), Type.PTR))).containsExactly("PTR db-0.db.shop.svc.cluster.local.");
    Message other = Message.newQuery(Record.newRecord(ReverseMap.fromAddress("192.0.2.1"), Type.PTR, DClass.IN));
    assertThat(zone.answers(other, shop)).as("an address the cluster does not know is forwarded").isFalse();
  }

  @Test
  void unknownNamesAreNxdomainAndOtherTypesNoData() throws Exception {
    for (String name : List.of("nope.shop.svc.cluster.local", "web.nope.svc.cluster.local", "nope.cluster.local", "a.b.c.web.shop.svc.cluster.local")) {
      Message m = ask(name, Type.A);
      assertThat(m.getRcode()).as(name).isEqualTo(Rcode.NXDOMAIN);
      assertThat(m.getSection(Section.AUTHORITY)).as(name).singleElement().extracting(Record::getType).isEqualTo(Type.SOA);
    }
    Message aaaa = ask("web.shop.svc.cluster.local", Type.AAAA);
    assertThat(aaaa.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(aaaa.getSection(Section.ANSWER)).isEmpty();
    assertThat(aaaa.getSection(Section.AUTHORITY)).singleElement().extracting(Record::getType).isEqualTo(Type.SOA);
    assertThat(ask("shop.svc.cluster.local", Type.A).getRcode()).as("a namespace with Services").isEqualTo(Rcode.NOERROR);
  }

  @Test
  void theApexHasSoaAndNsAndTheSpecVersion() throws Exception {
    assertThat(answers(ask("cluster.local", Type.SOA))).singleElement().asString().startsWith("SOA ns.dns.cluster.local.");
    assertThat(answers(ask("cluster.local", Type.NS))).containsExactly("NS ns.dns.cluster.local.");
    assertThat(answers(ask("dns-version.cluster.local", Type.TXT))).containsExactly("TXT \"1.1.0\"");
  }

  @Test
  void namesOutsideTheZoneAreNotOurs() throws Exception {
    Message q = Message.newQuery(Record.newRecord(Name.fromString("example.com."), Type.A, DClass.IN));
    assertThat(zone.answers(q, shop)).isFalse();
    assertThat(zone.contains(Name.fromString("example.com."))).isFalse();
  }
}

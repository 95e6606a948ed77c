package io.keelson.agent.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Service;
import io.keelson.agent.host.HostTools;
import io.keelson.agent.service.ServiceCatalog;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rendered rulesets loaded by the real nft in a throwaway network namespace (needs root). */
class NftIT {

  private final String netns = "keelson-nftit-" + ProcessHandle.current().pid();
  private Nft nft;

  @BeforeEach
  void netns() throws IOException {
    String why = Nft.fromPath().problem();
    assumeTrue(why == null, why);
    try {
      HostTools.run("ip", "netns", "add", netns);
    } catch (IOException e) {
      assumeTrue(false, "cannot create a network namespace (root needed): " + e.getMessage());
    }
    nft = new Nft(List.of("ip", "netns", "exec", netns, "nft"));
  }

  @AfterEach
  void removeNetns() throws IOException {
    HostTools.run("ip", "netns", "del", netns);
  }

  @Test
  void everyKindOfServiceLoadsAndAnUpdateReplacesTheTable() throws IOException {
    Service sticky = ServiceRulesTest.service("sticky", "10.96.0.60", "ClusterIP");
    sticky.getSpec().setSessionAffinity("ClientIP");
    Service local = ServiceRulesTest.service("local", "10.96.0.50", "NodePort");
    local.getSpec().setExternalTrafficPolicy("Local");
    Service udp = ServiceRulesTest.service("dns", "10.96.0.10", "ClusterIP");
    udp.getSpec().getPorts().get(0).setProtocol("UDP");
    var first = ServiceCatalog.Snapshot.of(
        List.of(ServiceRulesTest.service("web", "10.96.0.20", "NodePort"), ServiceRulesTest.service("empty", "10.96.0.30", "NodePort"),
            sticky, local, udp),
        List.of(ServiceRulesTest.slice("web", "10.244.1.5", "10.244.2.7:node-2"), ServiceRulesTest.slice("empty"),
            ServiceRulesTest.slice("sticky", "10.244.1.8"), ServiceRulesTest.slice("local", "10.244.2.5:node-2")));

    nft.apply(ServiceRules.render(ServiceRulesTest.TABLE, first, "node-1").text());
    String listed = nft.listTable(ServiceRulesTest.TABLE);
    assertThat(listed).contains("dnat to 10.244.1.5:8080", "dnat to 10.244.2.7:8080", "10.96.0.30 . tcp . 80 : goto reject-chain",
        "tcp . 30080 : goto", "update @affinity-", "masquerade fully-random");

    // the next sync replaces everything: the chains of Services that are gone go too
    var second = ServiceCatalog.Snapshot.of(List.of(ServiceRulesTest.service("web", "10.96.0.20", "ClusterIP")),
        List.of(ServiceRulesTest.slice("web", "10.244.1.9")));
    nft.apply(ServiceRules.render(ServiceRulesTest.TABLE, second, "node-1").text());
    listed = nft.listTable(ServiceRulesTest.TABLE);
    assertThat(listed).contains("dnat to 10.244.1.9:8080").doesNotContain("10.244.1.5", "sticky", "reject-chain }", "affinity-");

    nft.deleteTable(ServiceRulesTest.TABLE);
    nft.deleteTable(ServiceRulesTest.TABLE); // gone already: still fine
    assertThat(HostTools.run("ip", "netns", "exec", netns, "nft", "list", "tables")).doesNotContain(ServiceRulesTest.TABLE);
  }
}

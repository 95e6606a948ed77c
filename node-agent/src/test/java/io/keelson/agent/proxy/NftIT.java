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

  /** What the table lists once {@code rules} replace it outright. */
  private String listedAfterReplace(ServiceRules.Rendered rules) throws IOException {
    nft.apply(rules.text());
    return nft.listTable(ServiceRulesTest.TABLE);
  }

  @Test
  void everyKindOfServiceLoadsAndUpdatesKeepAffinityButDropWhatIsGone() throws IOException {
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

    ServiceRules.Rendered firstRules = ServiceRules.render(ServiceRulesTest.TABLE, first, "node-1");
    nft.apply(firstRules.text());
    String listed = nft.listTable(ServiceRulesTest.TABLE);
    assertThat(listed).contains("dnat to 10.244.1.5:8080", "dnat to 10.244.2.7:8080", "10.96.0.30 . tcp . 80 : goto reject-chain",
        "tcp . 30080 : goto", "update @affinity-", "masquerade fully-random");

    // a client the sticky Service remembers
    String set = listed.lines().map(String::trim).filter(l -> l.startsWith("set affinity-")).findFirst().orElseThrow()
        .replace("set ", "").replace(" {", "");
    HostTools.run("ip", "netns", "exec", netns, "nft", "add", "element", "ip", ServiceRulesTest.TABLE, set, "{ 10.244.3.3 }");

    // an update after a change elsewhere (web's endpoints): the client is still remembered
    var changed = ServiceCatalog.Snapshot.of(first.services().values().stream().toList(),
        List.of(ServiceRulesTest.slice("web", "10.244.1.6"), ServiceRulesTest.slice("empty"),
            ServiceRulesTest.slice("sticky", "10.244.1.8"), ServiceRulesTest.slice("local", "10.244.2.5:node-2")));
    ServiceRules.Rendered changedRules = ServiceRules.render(ServiceRulesTest.TABLE, changed, "node-1");
    nft.apply(changedRules.updateFrom(firstRules));
    listed = nft.listTable(ServiceRulesTest.TABLE);
    assertThat(listed).contains("dnat to 10.244.1.6:8080", "10.244.3.3").doesNotContain("10.244.1.5", "10.244.2.7");

    // and once Services are gone, their chains and sets go too
    var second = ServiceCatalog.Snapshot.of(List.of(ServiceRulesTest.service("web", "10.96.0.20", "ClusterIP")),
        List.of(ServiceRulesTest.slice("web", "10.244.1.9")));
    ServiceRules.Rendered secondRules = ServiceRules.render(ServiceRulesTest.TABLE, second, "node-1");
    nft.apply(secondRules.updateFrom(changedRules));
    listed = nft.listTable(ServiceRulesTest.TABLE);
    assertThat(listed).contains("dnat to 10.244.1.9:8080").doesNotContain("10.244.1.6", "sticky", "goto reject-chain", "affinity-", "30080");
    assertThat(listed).as("an update leaves what a replacement would").isEqualTo(listedAfterReplace(secondRules));

    nft.deleteTable(ServiceRulesTest.TABLE);
    nft.deleteTable(ServiceRulesTest.TABLE); // gone already: still fine
    // an update of a table that is gone fails (the proxy then replaces it)
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> nft.apply(secondRules.updateFrom(secondRules)))
        .isInstanceOf(IOException.class);
    assertThat(HostTools.run("ip", "netns", "exec", netns, "nft", "list", "tables")).doesNotContain(ServiceRulesTest.TABLE);
  }
}

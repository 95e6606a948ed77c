package io.keelson.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodDNSConfigBuilder;
import io.fabric8.kubernetes.api.model.PodDNSConfigOptionBuilder;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PodDnsTest {
  static final ResolvConf HOST = ResolvConf.parse("""
      # written by the host
      nameserver 10.255.255.53
      nameserver 10.255.255.54 ; second
      search corp.example. .
      options edns0 timeout:2
      sortlist 130.155.160.0/255.255.240.0
      """);
  final PodDns dns = new PodDns("cluster.local");

  private static Pod pod(String policy, boolean hostNetwork) {
    return new PodBuilder().withNewMetadata().withNamespace("shop").withName("p").endMetadata()
        .withNewSpec().withDnsPolicy(policy).withHostNetwork(hostNetwork).endSpec().build();
  }

  @Test
  void theHostsFileIsReadAsKubeletReadsIt() {
    assertThat(HOST.nameservers()).containsExactly("10.255.255.53", "10.255.255.54");
    assertThat(HOST.searches()).as("trailing dots and '.' dropped").containsExactly("corp.example");
    assertThat(HOST.options()).containsExactly("edns0", "timeout:2");
    assertThat(ResolvConf.parse("search a b\nsearch c\n").searches()).as("the last search line wins").containsExactly("c");
  }

  @Test
  void clusterFirstPointsAtTheNodeDnsWithTheClusterSearchPath() {
    ResolvConf c = dns.resolvConf(pod("ClusterFirst", false), HOST, "10.244.0.1");
    assertThat(c.render()).isEqualTo("""
        search shop.svc.cluster.local svc.cluster.local cluster.local corp.example
        nameserver 10.244.0.1
        options ndots:5
        """);
    assertThat(dns.resolvConf(pod(null, false), HOST, "10.244.0.1")).as("ClusterFirst is the default").isEqualTo(c);
  }

  @Test
  void hostNetworkPodsNeedClusterFirstWithHostNet() {
    assertThat(dns.resolvConf(pod("ClusterFirst", true), HOST, "10.244.0.1")).isEqualTo(HOST);
    assertThat(dns.resolvConf(pod("ClusterFirstWithHostNet", true), HOST, "10.244.0.1").nameservers()).containsExactly("10.244.0.1");
  }

  @Test
  void defaultIsTheHostsAndClusterFirstFallsBackToItWithoutClusterDns() {
    assertThat(dns.resolvConf(pod("Default", false), HOST, "10.244.0.1")).isEqualTo(HOST);
    assertThat(dns.resolvConf(pod("ClusterFirst", false), HOST, null)).isEqualTo(HOST);
  }

  @Test
  void noneTakesOnlyTheDnsConfig() {
    Pod p = pod("None", false);
    p.getSpec().setDnsConfig(new PodDNSConfigBuilder().withNameservers("1.1.1.1").withSearches("a.example")
        .withOptions(new PodDNSConfigOptionBuilder().withName("ndots").withValue("2").build()).build());
    assertThat(dns.resolvConf(p, HOST, "10.244.0.1").render()).isEqualTo("search a.example\nnameserver 1.1.1.1\noptions ndots:2\n");
  }

  @Test
  void dnsConfigIsMergedAndOptionsOverrideByName() {
    Pod p = pod("ClusterFirst", false);
    p.getSpec().setDnsConfig(new PodDNSConfigBuilder().withNameservers("10.244.0.1", "1.1.1.1").withSearches("svc.cluster.local", "x.example")
        .withOptions(new PodDNSConfigOptionBuilder().withName("ndots").withValue("1").build(),
            new PodDNSConfigOptionBuilder().withName("edns0").build()).build());
    ResolvConf c = dns.resolvConf(p, HOST, "10.244.0.1");
    assertThat(c.nameservers()).as("duplicates dropped").containsExactly("10.244.0.1", "1.1.1.1");
    assertThat(c.searches()).containsExactly("shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "x.example");
    assertThat(c.options()).containsExactly("ndots:1", "edns0");
  }

  @Test
  void theResolversLimitsApply() {
    Pod p = pod("None", false);
    List<String> many = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "d" + i + ".example").toList();
    p.getSpec().setDnsConfig(new PodDNSConfigBuilder().withNameservers("1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4").withSearches(many).build());
    ResolvConf c = dns.resolvConf(p, HOST, null);
    assertThat(c.nameservers()).hasSize(3);
    assertThat(c.searches()).hasSize(32);
    p.getSpec().getDnsConfig().setSearches(List.of(String.join("", Collections.nCopies(1500, "a")) + ".x", String.join("", Collections.nCopies(600, "b")) + ".y"));
    assertThat(dns.resolvConf(p, HOST, null).searches()).as("2048 characters at most").hasSize(1);
  }
}

package io.keelson.agent.dns;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A pod's resolv.conf from its {@code spec.dnsPolicy} and {@code spec.dnsConfig}, as kubelet
 * composes it (pkg/kubelet/network/dns): ClusterFirst points at the cluster DNS with the cluster's
 * search path and {@code ndots:5}; a hostNetwork pod needs ClusterFirstWithHostNet for that, else
 * it gets the host's file, as Default does; None starts empty. dnsConfig's nameservers and searches
 * are appended, its options override the same-named ones. Then the resolver's limits apply (3
 * nameservers, 32 search domains of at most 2048 characters together).
 */
public final class PodDns {
  static final int MAX_NAMESERVERS = 3;
  static final int MAX_SEARCHES = 32;
  static final int MAX_SEARCH_CHARS = 2048;
  static final List<String> CLUSTER_OPTIONS = List.of("ndots:5");

  private final String clusterDomain;

  public PodDns(String clusterDomain) {
    this.clusterDomain = clusterDomain;
  }

  /**
   * @param host the node's own resolv.conf
   * @param clusterDns the node-local cluster DNS address, or null when the node serves none (then
   *     ClusterFirst falls back to Default, as kubelet does without --cluster-dns)
   */
  public ResolvConf resolvConf(Pod pod, ResolvConf host, String clusterDns) {
    String policy = pod.getSpec().getDnsPolicy() == null || pod.getSpec().getDnsPolicy().isEmpty()
        ? "ClusterFirst" : pod.getSpec().getDnsPolicy();
    boolean hostNetwork = Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
    ResolvConf base;
    if (policy.equals("None")) {
      base = ResolvConf.EMPTY;
    } else if ((policy.equals("ClusterFirstWithHostNet") || (policy.equals("ClusterFirst") && !hostNetwork)) && clusterDns != null) {
      String ns = pod.getMetadata().getNamespace();
      List<String> searches = new ArrayList<>(List.of(ns + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain));
      searches.addAll(host.searches());
      base = new ResolvConf(List.of(clusterDns), distinct(searches), CLUSTER_OPTIONS);
    } else {
      base = host;
    }
    PodDNSConfig extra = pod.getSpec().getDnsConfig();
    if (extra != null) {
      List<String> servers = new ArrayList<>(base.nameservers());
      if (extra.getNameservers() != null) {
        servers.addAll(extra.getNameservers());
      }
      List<String> searches = new ArrayList<>(base.searches());
      if (extra.getSearches() != null) {
        searches.addAll(extra.getSearches());
      }
      base = new ResolvConf(distinct(servers), distinct(searches), mergeOptions(base.options(), extra.getOptions()));
    }
    return fitLimits(base);
  }

  private static List<String> distinct(List<String> l) {
    return List.copyOf(new LinkedHashSet<>(l));
  }

  /** Options by name ("ndots:5" is ndots); the pod's dnsConfig wins. */
  private static List<String> mergeOptions(List<String> existing, List<PodDNSConfigOption> extra) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String o : existing) {
      int colon = o.indexOf(':');
      byName.put(colon < 0 ? o : o.substring(0, colon), colon < 0 ? "" : o.substring(colon + 1));
    }
    if (extra != null) {
      for (PodDNSConfigOption o : extra) {
        if (o.getName() != null) {
          byName.put(o.getName(), o.getValue() == null ? "" : o.getValue());
        }
      }
    }
    List<String> out = new ArrayList<>();
    byName.forEach((k, v) -> out.add(v.isEmpty() ? k : k + ":" + v));
    return out;
  }

  private static ResolvConf fitLimits(ResolvConf c) {
    List<String> servers = c.nameservers().size() > MAX_NAMESERVERS ? c.nameservers().subList(0, MAX_NAMESERVERS) : c.nameservers();
    List<String> searches = new ArrayList<>();
    int chars = 0;
    for (String s : c.searches()) {
      if (searches.size() == MAX_SEARCHES || chars + s.length() + (searches.isEmpty() ? 0 : 1) > MAX_SEARCH_CHARS) {
        break;
      }
      chars += s.length() + (searches.isEmpty() ? 0 : 1);
      searches.add(s);
    }
    return new ResolvConf(servers, searches, c.options());
  }
}

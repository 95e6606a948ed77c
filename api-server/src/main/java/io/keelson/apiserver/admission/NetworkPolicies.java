package io.keelson.apiserver.admission;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaults and validation of networking.k8s.io/v1 NetworkPolicies, as kube's
 * pkg/apis/networking/v1/defaults.go and pkg/apis/networking/validation say: policyTypes default to
 * Ingress (and Egress when there are egress rules), ports to TCP; a peer is a podSelector, a
 * namespaceSelector, both, or an ipBlock alone; an ipBlock's excepts lie strictly inside its cidr.
 */
final class NetworkPolicies {

  static final String GROUP = "networking.k8s.io";

  private static final List<String> POLICY_TYPES = List.of("Ingress", "Egress");
  private static final List<String> PROTOCOLS = List.of("TCP", "UDP", "SCTP");
  private static final String BAD_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
  private static final Pattern CIDR = Pattern.compile("^[0-9a-fA-F:.]+/[0-9]{1,3}$");

  private NetworkPolicies() {}

  /** SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort. */
  static void defaults(ObjectNode policy) {
    ObjectNode spec = policy.get("spec") instanceof ObjectNode s ? s : policy.putObject("spec");
    if (!spec.path("podSelector").isObject()) {
      spec.putObject("podSelector"); // a required struct in v1: omitted means every pod of the namespace
    }
    if (spec.path("policyTypes").isEmpty()) {
      ArrayNode types = spec.putArray("policyTypes").add("Ingress");
      if (!spec.path("egress").isEmpty()) types.add("Egress");
    }
    for (String direction : List.of("ingress", "egress")) {
      for (JsonNode rule : spec.path(direction)) {
        for (JsonNode port : rule.path("ports")) {
          if (port instanceof ObjectNode p && !p.hasNonNull("protocol")) p.put("protocol", "TCP");
        }
      }
    }
  }

  /** ValidateNetworkPolicySpec. */
  static void validate(ObjectNode policy, FieldErrors errs) {
    JsonNode spec = policy.path("spec");
    Validator.labelSelector(spec.path("podSelector"), "spec.podSelector", errs);
    for (String direction : List.of("ingress", "egress")) {
      String peers = direction.equals("ingress") ? "from" : "to";
      int i = 0;
      for (JsonNode rule : spec.path(direction)) {
        String rp = "spec." + direction + "[" + i++ + "]";
        int j = 0;
        for (JsonNode port : rule.path("ports")) port(port, rp + ".ports[" + j++ + "]", errs);
        j = 0;
        for (JsonNode peer : rule.path(peers)) peer(peer, rp + "." + peers + "[" + j++ + "]", errs);
      }
    }
    JsonNode types = spec.path("policyTypes");
    if (types.size() > POLICY_TYPES.size()) {
      errs.invalid("spec.policyTypes", types, "may not specify more than two policyTypes");
      return;
    }
    int i = 0;
    for (JsonNode t : types) {
      String type = t.asString("");
      if (!POLICY_TYPES.contains(type)) errs.notSupported("spec.policyTypes[" + i + "]", type, POLICY_TYPES);
      i++;
    }
  }

  private static void port(JsonNode port, String p, FieldErrors errs) {
    JsonNode protocol = port.path("protocol");
    if (protocol.isString() && !PROTOCOLS.contains(protocol.stringValue())) {
      errs.notSupported(p + ".protocol", protocol.stringValue(), PROTOCOLS);
    }
    JsonNode number = port.path("port");
    JsonNode end = port.path("endPort");
    boolean hasEnd = !end.isMissingNode() && !end.isNull();
    if (number.isNumber()) {
      Validator.portNumber(number, p + ".port", errs);
      if (hasEnd) {
        if (end.asLong() < number.asLong()) errs.invalid(p + ".endPort", number, "must be greater than or equal to `port`");
        Validator.portNumber(end, p + ".endPort", errs);
      }
    } else if (number.isString()) {
      if (hasEnd) errs.invalid(p + ".endPort", end, "may not be specified when `port` is non-numeric");
      for (String msg : Names.portName(number.stringValue())) errs.invalid(p + ".port", number, msg);
    } else if (hasEnd) {
      errs.invalid(p + ".endPort", end, "may not be specified when `port` is not specified");
    }
  }

  /** ValidateNetworkPolicyPeer. */
  private static void peer(JsonNode peer, String p, FieldErrors errs) {
    int kinds = 0;
    if (peer.path("podSelector").isObject()) {
      kinds++;
      Validator.labelSelector(peer.path("podSelector"), p + ".podSelector", errs);
    }
    if (peer.path("namespaceSelector").isObject()) {
      kinds++;
      Validator.labelSelector(peer.path("namespaceSelector"), p + ".namespaceSelector", errs);
    }
    boolean ipBlock = peer.path("ipBlock").isObject();
    if (ipBlock) {
      kinds++;
      ipBlock(peer.path("ipBlock"), p + ".ipBlock", errs);
    }
    if (kinds == 0) errs.required(p, "must specify a peer");
    else if (kinds > 1 && ipBlock) errs.forbidden(p, "may not specify both ipBlock and another peer");
  }

  /** ValidateIPBlock: a valid cidr, and excepts that are strict subsets of it. */
  private static void ipBlock(JsonNode block, String p, FieldErrors errs) {
    String cidr = block.path("cidr").asString("");
    if (cidr.isEmpty()) {
      errs.required(p + ".cidr", "");
      return;
    }
    Prefix outer = Prefix.parse(cidr);
    if (outer == null) {
      errs.invalid(p + ".cidr", cidr, BAD_CIDR);
      return;
    }
    int i = 0;
    for (JsonNode e : block.path("except")) {
      String ep = p + ".except[" + i++ + "]";
      String except = e.asString("");
      Prefix inner = Prefix.parse(except);
      if (inner == null) errs.invalid(ep, except, BAD_CIDR);
      else if (!outer.strictlyContains(inner)) errs.invalid(ep, except, "must be a strict subset of `cidr`");
    }
  }

  /** An IPv4 or IPv6 prefix, as Go's net.ParseCIDR reads one. */
  record Prefix(byte[] address, int bits) {

    static Prefix parse(String s) {
      if (!CIDR.matcher(s).matches()) return null;
      int slash = s.indexOf('/');
      String ip = s.substring(0, slash);
      // a literal only: InetAddress must never resolve a name
      if (!ip.contains(":") && !ip.matches("^\\d{1,3}(\\.\\d{1,3}){3}$")) return null;
      try {
        byte[] a = InetAddress.getByName(ip).getAddress();
        int bits = Integer.parseInt(s.substring(slash + 1));
        return bits > a.length * 8 || (ip.contains(":") != (a.length == 16)) ? null : new Prefix(a, bits);
      } catch (UnknownHostException | NumberFormatException e) {
        return null;
      }
    }

    /** Whether {@code inner}'s network lies in this one and is smaller (Contains, and a longer mask). */
    boolean strictlyContains(Prefix inner) {
      if (inner.address.length != address.length || inner.bits <= bits) return false;
      for (int b = 0; b < bits; b++) {
        int mask = 0x80 >>> (b % 8);
        if ((address[b / 8] & mask) != (inner.address[b / 8] & mask)) return false;
      }
      return true;
    }
  }
}

package io.keelson.apiserver.nodeservice;

/**
 * The cluster's pod range ({@code --cluster-cidr}, as kube-controller-manager's flag), cut into one
 * /24 per node (kube's default {@code --node-cidr-mask-size}). Per cluster, not fixed: two clusters
 * on one host whose nodes put the same /24 on their bridges would reach each other's pods by IP.
 */
public record ClusterCidr(int base, int prefix) {

  public static final ClusterCidr DEFAULT = parse("10.244.0.0/16");

  private static final int NODE_PREFIX = 24;

  public ClusterCidr {
    if (prefix < 8 || prefix > NODE_PREFIX) {
      throw new IllegalArgumentException("the prefix must be /8 to /" + NODE_PREFIX + " (one /" + NODE_PREFIX + " per node)");
    }
    if ((base & ~mask(prefix)) != 0) {
      throw new IllegalArgumentException("host bits are set: the range starts at " + format(base & mask(prefix)) + "/" + prefix);
    }
  }

  /** An IPv4 CIDR such as {@code 10.245.0.0/16}; the message says what is wrong. */
  public static ClusterCidr parse(String cidr) {
    String s = cidr == null ? "" : cidr.trim();
    int slash = s.indexOf('/');
    if (slash < 0) throw new IllegalArgumentException("'" + cidr + "' is not a CIDR (example: 10.244.0.0/16)");
    String[] octets = s.substring(0, slash).split("\\.", -1);
    if (octets.length != 4) throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 CIDR (example: 10.244.0.0/16)");
    int base = 0;
    try {
      for (String o : octets) {
        int v = Integer.parseInt(o);
        if (v < 0 || v > 255 || !o.equals(Integer.toString(v))) throw new NumberFormatException(o);
        base = base << 8 | v;
      }
      int prefix = Integer.parseInt(s.substring(slash + 1));
      try {
        return new ClusterCidr(base, prefix);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + cidr + "': " + e.getMessage());
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 CIDR (example: 10.244.0.0/16)");
    }
  }

  /** How many node ranges the cluster range holds. */
  public int nodeRanges() {
    return 1 << (NODE_PREFIX - prefix);
  }

  /** The {@code i}-th node range, e.g. {@code 10.244.3.0/24}. */
  public String nodeRange(int i) {
    if (i < 0 || i >= nodeRanges()) throw new IndexOutOfBoundsException(i);
    return format(base + (i << (32 - NODE_PREFIX))) + "/" + NODE_PREFIX;
  }

  /** The index of {@code range} in this cluster range, or -1 when it is not one of its node ranges. */
  public int indexOf(String range) {
    try {
      ClusterCidr r = parse(range);
      if (r.prefix != NODE_PREFIX || (r.base & mask(prefix)) != base) return -1;
      return (r.base - base) >>> (32 - NODE_PREFIX);
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  @Override
  public String toString() {
    return format(base) + "/" + prefix;
  }

  private static int mask(int prefix) {
    return -1 << (32 - prefix); // prefix is 8..24 here
  }

  private static String format(int a) {
    return (a >>> 24) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255);
  }
}

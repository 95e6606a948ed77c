package io.keelson.client.quota;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * Quantity arithmetic for quota and limit ranges: exact values from {@code 500m} or {@code 1Gi},
 * and back to the canonical text Kubernetes writes into a quota's status ({@code 1500m},
 * {@code 128Mi}, {@code 2}).
 */
public final class QuotaQuantities {

  private static final String[] DECIMAL = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  private static final String[] BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};

  private QuotaQuantities() {}

  /** The exact value of a quantity (a JSON string or number); zero when absent. */
  public static BigDecimal value(JsonNode q) {
    if (q == null || q.isNull() || q.isMissingNode()) return BigDecimal.ZERO;
    if (q.isNumber()) return q.decimalValue();
    return value(q.asString());
  }

  public static BigDecimal value(String q) {
    return new Quantity(q.trim()).getNumericalAmount();
  }

  /**
   * The canonical text of {@code v}: byte-sized resources (memory, storage) in the largest binary
   * unit that keeps it whole, everything else in the largest decimal one ({@code 1500m}, {@code 2k}).
   */
  public static String format(String resource, BigDecimal v) {
    if (v.signum() == 0) return "0";
    if (bytes(resource) && v.abs().compareTo(BigDecimal.valueOf(1024)) >= 0 && isWhole(v)) {
      BigInteger n = v.toBigIntegerExact();
      String suffix = "";
      for (String s : BINARY) {
        if (n.mod(BigInteger.valueOf(1024)).signum() != 0) break;
        n = n.divide(BigInteger.valueOf(1024));
        suffix = s;
      }
      if (!suffix.isEmpty()) return n + suffix;
    }
    for (int i = DECIMAL.length - 1; i >= 0; i--) {
      BigDecimal scaled = v.movePointLeft(3 * (i - 3));
      if (isWhole(scaled)) return scaled.toBigIntegerExact() + DECIMAL[i];
    }
    return v.toPlainString();
  }

  private static boolean bytes(String resource) {
    return resource.endsWith("memory") || resource.endsWith("storage") || resource.contains("hugepages-");
  }

  private static boolean isWhole(BigDecimal v) {
    return v.signum() == 0 || v.stripTrailingZeros().scale() <= 0;
  }

  /** {@code a + b}, per resource. */
  public static Map<String, BigDecimal> add(Map<String, BigDecimal> a, Map<String, BigDecimal> b) {
    Map<String, BigDecimal> out = new TreeMap<>(a);
    b.forEach((k, v) -> out.merge(k, v, BigDecimal::add));
    return out;
  }

  /** A resource list as values; entries that do not parse are left out (validation reports them). */
  public static Map<String, BigDecimal> values(JsonNode list) {
    Map<String, BigDecimal> out = new TreeMap<>();
    if (list == null || !list.isObject()) return out;
    for (Map.Entry<String, JsonNode> e : list.properties()) {
      try {
        out.put(e.getKey(), value(e.getValue()));
      } catch (RuntimeException ignored) {
        // not a quantity: not counted
      }
    }
    return out;
  }

  /** {@code pods=1,requests.cpu=500m}: sorted by name, as kube's quota messages print a resource list. */
  public static String print(Map<String, BigDecimal> list) {
    return new TreeMap<>(list).entrySet().stream().map(e -> e.getKey() + "=" + format(e.getKey(), e.getValue()))
        .collect(Collectors.joining(","));
  }
}

package io.keelson.cli.output;

import java.math.BigDecimal;

/** Kubernetes resource quantities (100m, 2, 512Mi, 1G) as numbers, and back to short strings. */
public final class Quantities {
  private Quantities() {}

  /** Parses a quantity into base units (cores or bytes). */
  public static BigDecimal parse(String q) {
    if (q == null || q.isBlank()) {
      return BigDecimal.ZERO;
    }
    String s = q.trim();
    String[][] suffixes = {
      {"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"}, {"Ti", "1099511627776"},
      {"n", "0.000000001"}, {"u", "0.000001"}, {"m", "0.001"}, {"k", "1000"}, {"M", "1000000"},
      {"G", "1000000000"}, {"T", "1000000000000"}
    };
    for (String[] suf : suffixes) {
      if (s.endsWith(suf[0])) {
        return new BigDecimal(s.substring(0, s.length() - suf[0].length())).multiply(new BigDecimal(suf[1]));
      }
    }
    try {
      return new BigDecimal(s);
    } catch (NumberFormatException e) {
      return BigDecimal.ZERO;
    }
  }

  /** Cores as millicores: 0.25 -> 250m, 2 -> 2. */
  public static String cpu(BigDecimal cores) {
    BigDecimal milli = cores.multiply(BigDecimal.valueOf(1000));
    if (milli.remainder(BigDecimal.valueOf(1000)).signum() == 0) {
      return cores.stripTrailingZeros().toPlainString();
    }
    return milli.setScale(0, java.math.RoundingMode.HALF_UP).toPlainString() + "m";
  }

  /** Bytes in binary units: 268435456 -> 256Mi. */
  public static String bytes(BigDecimal b) {
    long v = b.longValue();
    String[] units = {"Ki", "Mi", "Gi", "Ti"};
    double d = v;
    String unit = "";
    for (String u : units) {
      if (d < 1024) {
        break;
      }
      d /= 1024;
      unit = u;
    }
    if (unit.isEmpty()) {
      return Long.toString(v);
    }
    return (d >= 100 || d == Math.rint(d) ? String.format("%.0f", d) : String.format("%.1f", d)) + unit;
  }

  public static String percent(BigDecimal part, BigDecimal whole) {
    if (whole.signum() == 0) {
      return "0%";
    }
    return part.multiply(BigDecimal.valueOf(100)).divide(whole, 0, java.math.RoundingMode.HALF_UP) + "%";
  }
}

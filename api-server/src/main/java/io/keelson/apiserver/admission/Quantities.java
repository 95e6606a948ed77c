package io.keelson.apiserver.admission;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parsing of Kubernetes resource quantities ({@code 500m}, {@code 1Gi}, {@code 1e3}), as
 * {@code resource.ParseQuantity} accepts them, to exact decimal values.
 */
public final class Quantities {

  /** The message Kubernetes gives for an unparsable quantity. */
  static final String FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

  private static final Pattern SHAPE = Pattern.compile("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$");
  private static final Pattern NUMBER = Pattern.compile("^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$");
  private static final Pattern EXPONENT = Pattern.compile("^[eE][-+]?[0-9]+$");

  private static final Map<String, BigDecimal> SUFFIXES = Map.ofEntries(
      Map.entry("", BigDecimal.ONE),
      Map.entry("n", new BigDecimal("1e-9")), Map.entry("u", new BigDecimal("1e-6")), Map.entry("m", new BigDecimal("1e-3")),
      Map.entry("k", new BigDecimal("1e3")), Map.entry("M", new BigDecimal("1e6")), Map.entry("G", new BigDecimal("1e9")),
      Map.entry("T", new BigDecimal("1e12")), Map.entry("P", new BigDecimal("1e15")), Map.entry("E", new BigDecimal("1e18")),
      Map.entry("Ki", BigDecimal.valueOf(1L << 10)), Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
      Map.entry("Gi", BigDecimal.valueOf(1L << 30)), Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
      Map.entry("Pi", BigDecimal.valueOf(1L << 50)), Map.entry("Ei", BigDecimal.valueOf(1L << 60)));

  private Quantities() {}

  /** The exact value of {@code s}; IllegalArgumentException with {@link #FORMAT_ERROR} when malformed. */
  public static BigDecimal parse(String s) {
    String q = s.trim();
    Matcher m = SHAPE.matcher(q);
    if (q.isEmpty() || !m.matches() || !NUMBER.matcher(m.group(1)).matches()) throw new IllegalArgumentException(FORMAT_ERROR);
    BigDecimal number = new BigDecimal(m.group(1).startsWith("+") ? m.group(1).substring(1) : m.group(1));
    String suffix = m.group(2);
    BigDecimal multiplier = SUFFIXES.get(suffix);
    if (multiplier == null) {
      if (!EXPONENT.matcher(suffix).matches()) throw new IllegalArgumentException("unable to parse quantity's suffix");
      multiplier = BigDecimal.ONE.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1).replace("+", "")));
    }
    return number.multiply(multiplier);
  }
}

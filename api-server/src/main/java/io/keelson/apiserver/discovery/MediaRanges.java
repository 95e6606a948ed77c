package io.keelson.apiserver.discovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP Accept header split into media ranges with their parameters, in the client's order of
 * preference (q-values respected, ties keep header order). Kubernetes clients select response shapes
 * with parameters such as {@code as=Table;g=meta.k8s.io;v=v1}, which generic content negotiation
 * would ignore, so discovery and printing read them here.
 */
public final class MediaRanges {

  /** One media range: {@code type/subtype} plus lower-cased parameter names. */
  public record Range(String type, Map<String, String> params, double q) {
    public String param(String name) {
      return params.get(name);
    }

    /** True for application/json, application/*, and * / *. */
    public boolean isJsonCompatible() {
      return type.equals("application/json") || type.equals("application/*") || type.equals("*/*");
    }
  }

  private MediaRanges() {}

  public static List<Range> parse(String accept) {
    List<Range> out = new ArrayList<>();
    if (accept == null || accept.isBlank()) return out;
    for (String part : accept.split(",")) {
      String[] pieces = part.split(";");
      String type = pieces[0].trim().toLowerCase(Locale.ROOT);
      if (type.isEmpty()) continue;
      Map<String, String> params = new LinkedHashMap<>();
      double q = 1.0;
      for (int i = 1; i < pieces.length; i++) {
        String p = pieces[i].trim();
        int eq = p.indexOf('=');
        if (eq <= 0) continue;
        String k = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
        String v = p.substring(eq + 1).trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
        if (k.equals("q")) {
          try {
            q = Double.parseDouble(v);
          } catch (NumberFormatException e) {
            q = 0;
          }
        } else {
          params.put(k, v);
        }
      }
      if (q > 0) out.add(new Range(type, params, q));
    }
    // Stable sort: equal q keeps the order the client wrote.
    out.sort(Comparator.comparingDouble(Range::q).reversed());
    return out;
  }
}

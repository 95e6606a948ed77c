package io.keelson.apiserver.rest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A raw query string's parameters, decoded, without the servlet's getParameter: that one also parses
 * a form-encoded POST body, consuming what the pod and Service proxy must pass on, and streaming
 * requests arrive as WebSocket URIs, not servlet requests.
 */
public final class QueryParameters {
  private QueryParameters() {}

  /** Every parameter of {@code rawQuery} (null: none); repeated keys keep their values in order. */
  public static Map<String, List<String>> parse(String rawQuery) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery != null) {
      for (String kv : rawQuery.split("&")) {
        int eq = kv.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
        params.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
      }
    }
    return params;
  }

  /** The first value of {@code name} among {@link #parse}'s parameters; null when absent. */
  public static String first(Map<String, List<String>> params, String name) {
    List<String> values = params.get(name);
    return values == null ? null : values.get(0);
  }
}

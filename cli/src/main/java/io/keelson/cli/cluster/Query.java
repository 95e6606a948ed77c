package io.keelson.cli.cluster;

import java.util.ArrayList;
import java.util.List;

/** Builds a query string from optional parameters (labelSelector, fieldSelector, watch, ...). */
public final class Query {
  private final List<String> params = new ArrayList<>();

  public static Query of() {
    return new Query();
  }

  public Query add(String key, String value) {
    if (value != null && !value.isEmpty()) {
      params.add(key + "=" + ResourceKind.enc(value));
    }
    return this;
  }

  public String on(String path) {
    return params.isEmpty() ? path : path + (path.contains("?") ? "&" : "?") + String.join("&", params);
  }
}

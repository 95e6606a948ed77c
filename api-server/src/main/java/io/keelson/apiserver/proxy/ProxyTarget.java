package io.keelson.apiserver.proxy;

import io.keelson.apiserver.status.StatusException;

/**
 * What a proxy URL names: {@code name}, {@code name:port} or {@code scheme:name:port} (kube's
 * SplitSchemeNamePort), e.g. {@code pods/web:8080/proxy/} or {@code services/https:dash:443/proxy/}.
 */
record ProxyTarget(String scheme, String name, String port) {

  static ProxyTarget parse(String id, String kind) {
    String[] parts = id.split(":", -1);
    ProxyTarget t = switch (parts.length) {
      case 1 -> new ProxyTarget("http", parts[0], "");
      case 2 -> new ProxyTarget("http", parts[0], parts[1]);
      case 3 -> new ProxyTarget(parts[0].isEmpty() ? "http" : parts[0], parts[1], parts[2]);
      default -> null;
    };
    if (t == null || t.name.isEmpty() || !(t.scheme.equals("http") || t.scheme.equals("https"))) {
      throw StatusException.badRequest("invalid " + kind + " request \"" + id + "\": name it as NAME, NAME:PORT or SCHEME:NAME:PORT"
          + " with SCHEME http or https");
    }
    return t;
  }

  boolean tls() {
    return scheme.equals("https");
  }
}

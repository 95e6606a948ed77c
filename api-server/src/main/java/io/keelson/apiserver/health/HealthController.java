package io.keelson.apiserver.health;

import io.keelson.apiserver.bootstrap.ClusterBootstrap;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.storage.StoreUnavailableException;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /livez}, {@code /readyz} and {@code /healthz} as kube-apiserver serves them: named checks,
 * "ok" when all pass, {@code ?verbose} lists each as {@code [+]name ok}, {@code ?exclude=name}
 * leaves one out, {@code /readyz/etcd} runs one, and a failure answers 500 naming the failed checks
 * (their reasons withheld, as kube does, except for a single check asked by name).
 */
@RestController
public class HealthController {

  /** kube-apiserver's default --etcd-healthcheck-timeout. */
  private static final Duration ETCD_TIMEOUT = Duration.ofSeconds(2);

  private final Map<String, Supplier<String>> livez = new LinkedHashMap<>();
  private final Map<String, Supplier<String>> readyz = new LinkedHashMap<>();

  public HealthController(ResourceService svc, ClusterBootstrap bootstrap, io.keelson.apiserver.bootstrap.RbacBootstrap rbac) {
    livez.put("ping", () -> null);
    livez.put("log", () -> null);
    livez.put("etcd", () -> etcdProblem(svc));
    readyz.putAll(livez);
    readyz.put("informer-sync", () -> svc.ready() ? null : "the watch caches have not loaded every resource yet");
    readyz.put("poststarthook/bootstrap-controller", () -> bootstrap.done() ? null : "the default namespaces and RuntimeClasses are not created yet");
    readyz.put("poststarthook/rbac/bootstrap-roles", () -> rbac.done() ? null : "the bootstrap ClusterRoles and bindings are not reconciled yet");
  }

  /** Null when etcd answers a ping within kube's timeout; else why not, in one short line. */
  static String etcdProblem(ResourceService svc) {
    try {
      svc.store().ping(ETCD_TIMEOUT);
      return null;
    } catch (StoreUnavailableException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("DEADLINE_EXCEEDED")) return "etcd did not answer within " + ETCD_TIMEOUT.toSeconds() + "s";
      m = m.lines().findFirst().orElse(m); // gRPC's message carries the connection error's stack trace
      return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
  }

  @GetMapping("/livez")
  public ResponseEntity<String> livez(HttpServletRequest req) {
    return all("livez", livez, req);
  }

  @GetMapping("/healthz")
  public ResponseEntity<String> healthz(HttpServletRequest req) {
    return all("healthz", livez, req);
  }

  @GetMapping("/readyz")
  public ResponseEntity<String> readyz(HttpServletRequest req) {
    return all("readyz", readyz, req);
  }

  @GetMapping({"/livez/{check}", "/livez/{check}/{hook}"})
  public ResponseEntity<String> livezCheck(@PathVariable String check, @PathVariable(required = false) String hook) {
    return one(livez, hook == null ? check : check + "/" + hook);
  }

  @GetMapping({"/healthz/{check}", "/healthz/{check}/{hook}"})
  public ResponseEntity<String> healthzCheck(@PathVariable String check, @PathVariable(required = false) String hook) {
    return one(livez, hook == null ? check : check + "/" + hook);
  }

  @GetMapping({"/readyz/{check}", "/readyz/{check}/{hook}"})
  public ResponseEntity<String> readyzCheck(@PathVariable String check, @PathVariable(required = false) String hook) {
    return one(readyz, hook == null ? check : check + "/" + hook);
  }

  private static ResponseEntity<String> all(String endpoint, Map<String, Supplier<String>> checks, HttpServletRequest req) {
    String[] ex = req.getParameterValues("exclude");
    Set<String> excluded = ex == null ? Set.of() : Set.of(ex);
    boolean verbose = req.getParameter("verbose") != null;
    StringBuilder out = new StringBuilder();
    List<String> failed = new ArrayList<>();
    for (Map.Entry<String, Supplier<String>> c : checks.entrySet()) {
      if (excluded.contains(c.getKey())) {
        out.append("[+]").append(c.getKey()).append(" excluded: ok\n");
        continue;
      }
      if (c.getValue().get() == null) {
        out.append("[+]").append(c.getKey()).append(" ok\n");
      } else {
        failed.add(c.getKey());
        out.append("[-]").append(c.getKey()).append(" failed: reason withheld\n");
      }
    }
    for (String e : excluded) {
      if (!checks.containsKey(e)) out.append("warn: some health checks cannot be excluded: no matches for \"").append(e).append("\"\n");
    }
    if (!failed.isEmpty()) {
      return text(500, out.append(endpoint).append(" check failed\n").toString());
    }
    return text(200, verbose ? out.append(endpoint).append(" check passed\n").toString() : "ok");
  }

  private static ResponseEntity<String> one(Map<String, Supplier<String>> checks, String name) {
    Supplier<String> c = checks.get(name);
    if (c == null) return text(404, "404 page not found\n");
    String why = c.get();
    return why == null ? text(200, "ok") : text(500, "internal server error: " + why + "\n");
  }

  private static ResponseEntity<String> text(int code, String body) {
    return ResponseEntity.status(code).contentType(MediaType.TEXT_PLAIN).body(body);
  }
}

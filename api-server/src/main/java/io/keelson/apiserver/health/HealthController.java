package io.keelson.apiserver.health;

import io.keelson.apiserver.bootstrap.ClusterBootstrap;
import io.keelson.apiserver.registry.ResourceService;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /livez}, {@code /readyz}, {@code /healthz}: plain "ok" as in Kubernetes; readyz waits for caches and bootstrap. */
@RestController
public class HealthController {

  private final ResourceService svc;
  private final ClusterBootstrap bootstrap;

  public HealthController(ResourceService svc, ClusterBootstrap bootstrap) {
    this.svc = svc;
    this.bootstrap = bootstrap;
  }

  @GetMapping({"/livez", "/healthz"})
  public ResponseEntity<String> live() {
    return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body("ok");
  }

  @GetMapping("/readyz")
  public ResponseEntity<String> ready() {
    if (!svc.ready()) return ResponseEntity.status(500).contentType(MediaType.TEXT_PLAIN).body("[-]watch-caches not ready\nreadyz check failed");
    if (!bootstrap.done()) return ResponseEntity.status(500).contentType(MediaType.TEXT_PLAIN).body("[-]bootstrap not done\nreadyz check failed");
    return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body("ok");
  }
}

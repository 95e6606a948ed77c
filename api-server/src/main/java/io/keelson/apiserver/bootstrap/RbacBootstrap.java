package io.keelson.apiserver.bootstrap;

import io.keelson.apiserver.auth.rbac.BootstrapPolicy;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.registry.WriteOptions;
import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.status.StatusException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * kube's {@code rbac/bootstrap-roles} post-start hook: creates the bootstrap ClusterRoles and
 * ClusterRoleBindings that are missing, and for those still marked
 * {@code rbac.authorization.kubernetes.io/autoupdate: "true"} adds the rules, aggregation selectors
 * and subjects a newer Keelson brings, leaving whatever a user added. Idempotent, and safe with
 * several api-servers starting at once (a create that finds the object already there is fine).
 */
@Component
public class RbacBootstrap {

  private static final Logger log = LoggerFactory.getLogger(RbacBootstrap.class);
  private static final WriteOptions BY_BOOTSTRAP = WriteOptions.manager("keelson-rbac-bootstrap");

  private final ResourceService svc;
  private final AtomicBoolean done = new AtomicBoolean();

  public RbacBootstrap(ResourceService svc) {
    this.svc = svc;
  }

  public boolean done() {
    return done.get();
  }

  @EventListener(ApplicationStartedEvent.class)
  public void start() {
    Thread.ofVirtual().name("rbac-bootstrap").start(() -> {
      long backoff = 200;
      while (!done.get()) {
        try {
          if (svc.ready()) {
            reconcile();
            done.set(true);
            log.info("rbac bootstrap policy reconciled");
            break;
          }
        } catch (RuntimeException e) {
          log.warn("rbac bootstrap: {}; retrying", e.getMessage());
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException e) {
          return;
        }
        backoff = Math.min(backoff * 2, 3000);
      }
    });
  }

  void reconcile() {
    ResourceType roles = type("clusterroles");
    ResourceType bindings = type("clusterrolebindings");
    for (ObjectNode role : BootstrapPolicy.clusterRoles()) {
      ensure(roles, role, (stored, wanted) -> {
        boolean changed = false;
        if (wanted.has("aggregationRule")) {
          changed = addMissing(stored, wanted, "aggregationRule", "clusterRoleSelectors"); // the controller owns its rules
        } else {
          changed = addMissing(stored, wanted, null, "rules");
        }
        return changed;
      });
    }
    for (ObjectNode binding : BootstrapPolicy.clusterRoleBindings()) {
      ensure(bindings, binding, (stored, wanted) -> addMissing(stored, wanted, null, "subjects"));
    }
  }

  private interface Merge {
    /** Adds what {@code wanted} has and {@code stored} lacks to {@code stored}; whether anything was. */
    boolean into(ObjectNode stored, ObjectNode wanted);
  }

  private void ensure(ResourceType type, ObjectNode wanted, Merge merge) {
    String name = wanted.path("metadata").path("name").asString();
    try {
      svc.create(type, null, wanted.deepCopy(), BY_BOOTSTRAP);
      return;
    } catch (StatusException e) {
      if (e.code() != 409) throw e;
    }
    ObjectNode stored = svc.get(type, null, name);
    if (!"true".equals(stored.path("metadata").path("annotations").path(BootstrapPolicy.AUTOUPDATE).asString(""))) return;
    if (!merge.into(stored.deepCopy(), wanted)) return;
    svc.mutate(type, null, name, BY_BOOTSTRAP, current -> {
      merge.into(current, wanted);
      return current;
    });
    log.info("rbac bootstrap: added the missing parts of {} {}", type.kind(), name);
  }

  /** Appends the elements of wanted's list (at {@code parent.field}) that the stored list lacks. */
  private static boolean addMissing(ObjectNode stored, ObjectNode wanted, String parent, String field) {
    JsonNode want = parent == null ? wanted.path(field) : wanted.path(parent).path(field);
    ObjectNode holder = parent == null ? stored
        : stored.get(parent) instanceof ObjectNode p ? p : stored.putObject(parent);
    ArrayNode have = holder.get(field) instanceof ArrayNode a ? a : holder.putArray(field);
    boolean changed = false;
    for (JsonNode w : want) {
      boolean present = false;
      for (JsonNode h : have) present |= h.equals(w);
      if (!present) {
        have.add(w.deepCopy());
        changed = true;
      }
    }
    return changed;
  }

  private static ResourceType type(String resource) {
    return ResourceRegistry.find("rbac.authorization.k8s.io", "v1", resource).orElseThrow();
  }
}

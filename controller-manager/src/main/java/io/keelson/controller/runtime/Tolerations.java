package io.keelson.controller.runtime;

import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;

/** Taint/toleration matching with Kubernetes semantics. */
public final class Tolerations {
  private Tolerations() {}

  public static boolean tolerates(Toleration t, Taint taint) {
    if (t.getEffect() != null && !t.getEffect().isEmpty() && !t.getEffect().equals(taint.getEffect())) return false;
    String op = t.getOperator() == null || t.getOperator().isEmpty() ? "Equal" : t.getOperator();
    if (t.getKey() == null || t.getKey().isEmpty()) return "Exists".equals(op);
    if (!t.getKey().equals(taint.getKey())) return false;
    if ("Exists".equals(op)) return true;
    String v = t.getValue() == null ? "" : t.getValue();
    String tv = taint.getValue() == null ? "" : taint.getValue();
    return v.equals(tv);
  }

  public static boolean tolerated(List<Toleration> tolerations, Taint taint) {
    if (tolerations == null) return false;
    for (Toleration t : tolerations) if (tolerates(t, taint)) return true;
    return false;
  }
}

package io.keelson.scheduler.framework;

import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.HashMap;
import java.util.Map;

/**
 * Mutable resource vector (milli-CPU, bytes, pod count, extended resources) used for node
 * allocatable, node requested totals and pod requests. Parsed once from Quantities so the
 * per-node Filter is plain long arithmetic.
 */
public final class Resource {
  public static final String CPU = "cpu";
  public static final String MEMORY = "memory";
  public static final String EPHEMERAL_STORAGE = "ephemeral-storage";
  public static final String PODS = "pods";

  public long milliCpu;
  public long memory;
  public long ephemeralStorage;
  public long allowedPodNumber;
  /** Extended resources (e.g. example.com/gpu); null when none, to keep the common case cheap. */
  public Map<String, Long> scalar;

  public static Resource of(Map<String, Quantity> quantities) {
    Resource r = new Resource();
    r.addQuantities(quantities);
    return r;
  }

  public void addQuantities(Map<String, Quantity> quantities) {
    if (quantities == null) {
      return;
    }
    for (Map.Entry<String, Quantity> e : quantities.entrySet()) {
      String name = e.getKey();
      Quantity q = e.getValue();
      if (q == null) {
        continue;
      }
      switch (name) {
        case CPU -> milliCpu += milliValue(q);
        case MEMORY -> memory += value(q);
        case EPHEMERAL_STORAGE -> ephemeralStorage += value(q);
        case PODS -> allowedPodNumber += value(q);
        default -> addScalar(name, value(q));
      }
    }
  }

  public void addScalar(String name, long v) {
    if (scalar == null) {
      scalar = new HashMap<>(4);
    }
    scalar.merge(name, v, Long::sum);
  }

  public long scalar(String name) {
    if (scalar == null) {
      return 0;
    }
    Long v = scalar.get(name);
    return v == null ? 0 : v;
  }

  public void add(Resource o) {
    milliCpu += o.milliCpu;
    memory += o.memory;
    ephemeralStorage += o.ephemeralStorage;
    allowedPodNumber += o.allowedPodNumber;
    if (o.scalar != null) {
      o.scalar.forEach(this::addScalar);
    }
  }

  public void subtract(Resource o) {
    milliCpu -= o.milliCpu;
    memory -= o.memory;
    ephemeralStorage -= o.ephemeralStorage;
    allowedPodNumber -= o.allowedPodNumber;
    if (o.scalar != null) {
      o.scalar.forEach((k, v) -> addScalar(k, -v));
    }
  }

  /** Component-wise max, used for the init-container rule. */
  public void setMax(Resource o) {
    milliCpu = Math.max(milliCpu, o.milliCpu);
    memory = Math.max(memory, o.memory);
    ephemeralStorage = Math.max(ephemeralStorage, o.ephemeralStorage);
    allowedPodNumber = Math.max(allowedPodNumber, o.allowedPodNumber);
    if (o.scalar != null) {
      for (Map.Entry<String, Long> e : o.scalar.entrySet()) {
        long mine = scalar(e.getKey());
        if (e.getValue() > mine) {
          addScalar(e.getKey(), e.getValue() - mine);
        }
      }
    }
  }

  public Resource copy() {
    Resource r = new Resource();
    r.milliCpu = milliCpu;
    r.memory = memory;
    r.ephemeralStorage = ephemeralStorage;
    r.allowedPodNumber = allowedPodNumber;
    r.scalar = scalar == null ? null : new HashMap<>(scalar);
    return r;
  }

  public boolean isZero() {
    return milliCpu == 0 && memory == 0 && ephemeralStorage == 0 && (scalar == null || scalar.isEmpty());
  }

  /** Milli-units rounded up, as Kubernetes' Quantity.MilliValue(). */
  public static long milliValue(Quantity q) {
    BigDecimal v = q.getNumericalAmount().multiply(BigDecimal.valueOf(1000));
    return v.setScale(0, RoundingMode.CEILING).longValueExact();
  }

  /** Units rounded up, as Kubernetes' Quantity.Value(). */
  public static long value(Quantity q) {
    return q.getNumericalAmount().setScale(0, RoundingMode.CEILING).longValueExact();
  }

  @Override
  public String toString() {
    return "cpu=" + milliCpu + "m memory=" + memory + " pods=" + allowedPodNumber
        + (scalar == null ? "" : " " + scalar);
  }
}

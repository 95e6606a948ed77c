package io.keelson.apiserver.admission;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaults and validation of PersistentVolumes, PersistentVolumeClaims and StorageClasses, as kube's
 * SetDefaults_PersistentVolume(Claim), SetDefaults_StorageClass and ValidatePersistentVolume(Claim)
 * / ValidateStorageClass say, kept to what a user can get wrong: access modes, the storage quantity,
 * volume mode, reclaim policy, a volume source, and what may not change after creation.
 */
final class StorageObjects {

  static final List<String> ACCESS_MODES = List.of("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod");
  static final List<String> VOLUME_MODES = List.of("Block", "Filesystem");
  static final List<String> PV_RECLAIM_POLICIES = List.of("Delete", "Recycle", "Retain");
  static final List<String> CLASS_RECLAIM_POLICIES = List.of("Delete", "Retain");
  static final List<String> BINDING_MODES = List.of("Immediate", "WaitForFirstConsumer");
  /** The volume sources a PersistentVolume may have; this cluster's nodes mount hostPath and local ones. */
  private static final Set<String> PV_SOURCES = Set.of("hostPath", "local", "nfs", "csi", "iscsi", "fc", "cephfs", "rbd",
      "glusterfs", "awsElasticBlockStore", "gcePersistentDisk", "azureDisk", "azureFile", "cinder", "flexVolume");

  private StorageObjects() {}

  static void defaultVolume(ObjectNode pv) {
    ObjectNode spec = obj(pv, "spec");
    put(spec, "persistentVolumeReclaimPolicy", "Retain");
    put(spec, "volumeMode", "Filesystem");
    put(obj(pv, "status"), "phase", "Pending");
  }

  static void defaultClaim(ObjectNode pvc) {
    put(obj(pvc, "spec"), "volumeMode", "Filesystem");
    put(obj(pvc, "status"), "phase", "Pending");
  }

  static void defaultClass(ObjectNode sc) {
    put(sc, "reclaimPolicy", "Delete");
    put(sc, "volumeBindingMode", "Immediate");
  }

  static void volume(ObjectNode pv, ObjectNode old, FieldErrors errs) {
    JsonNode spec = pv.path("spec");
    accessModes(spec.path("accessModes"), "spec", errs);
    JsonNode capacity = spec.path("capacity");
    if (capacity.isEmpty()) errs.required("spec.capacity");
    else {
      for (String key : capacity.propertyNames()) {
        if (!key.equals("storage")) errs.notSupported("spec.capacity", key, List.of("storage"));
      }
      positiveStorage(capacity.path("storage"), "spec.capacity[storage]", errs);
    }
    long sources = PV_SOURCES.stream().filter(s -> spec.path(s).isObject()).count();
    if (sources == 0) errs.required("spec", "must specify a volume type");
    if (sources > 1) errs.forbidden("spec", "may not specify more than 1 volume type");
    if (spec.path("hostPath").isObject() && blank(spec.path("hostPath").path("path"))) errs.required("spec.hostPath.path");
    if (spec.path("local").isObject()) {
      if (blank(spec.path("local").path("path"))) errs.required("spec.local.path");
      if (!spec.path("nodeAffinity").isObject()) errs.required("spec.nodeAffinity", "Local volume requires node affinity");
    }
    oneOf(spec.path("persistentVolumeReclaimPolicy"), "spec.persistentVolumeReclaimPolicy", PV_RECLAIM_POLICIES, errs);
    oneOf(spec.path("volumeMode"), "spec.volumeMode", VOLUME_MODES, errs);
    if (old != null) {
      for (String source : PV_SOURCES) {
        if (!Objects.equals(spec.path(source), old.path("spec").path(source))) {
          errs.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation");
          break;
        }
      }
      if (old.path("spec").path("nodeAffinity").isObject() && !Objects.equals(spec.path("nodeAffinity"), old.path("spec").path("nodeAffinity"))) {
        errs.invalid("spec.nodeAffinity", "", "field is immutable once set");
      }
    }
  }

  static void claim(ObjectNode pvc, ObjectNode old, FieldErrors errs) {
    JsonNode spec = pvc.path("spec");
    claimSpec(spec, "spec", errs);
    if (old == null || !spec.isObject()) return;
    JsonNode requests = spec.path("resources").path("requests");
    JsonNode before = old.path("spec");
    ObjectNode now = ((ObjectNode) spec).deepCopy();
    ObjectNode was = before.isObject() ? ((ObjectNode) before).deepCopy() : pvc.objectNode();
    // the binder fills volumeName once; a claim made before classes existed may get one
    for (String settable : new String[] {"volumeName", "storageClassName"}) {
      if (!was.hasNonNull(settable)) now.remove(settable);
    }
    for (ObjectNode s : List.of(now, was)) {
      if (s.path("resources") instanceof ObjectNode r) r.remove("requests");
      s.remove("volumeAttributesClassName");
    }
    if (!now.equals(was)) {
      errs.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
    }
    BigDecimal previous = quantity(before.path("resources").path("requests").path("storage"));
    BigDecimal next = quantity(requests.path("storage"));
    if (previous != null && next != null && next.compareTo(previous) < 0) {
      errs.forbidden("spec.resources.requests.storage", "field can not be less than previous value");
    }
  }

  /** A claim's spec at {@code path}: a PVC's or a StatefulSet's volumeClaimTemplates[i]. */
  static void claimSpec(JsonNode spec, String path, FieldErrors errs) {
    accessModes(spec.path("accessModes"), path, errs);
    JsonNode requests = spec.path("resources").path("requests");
    if (requests.path("storage").isMissingNode()) errs.required(path + ".resources[storage]");
    else positiveStorage(requests.path("storage"), path + ".resources.requests[storage]", errs);
    oneOf(spec.path("volumeMode"), path + ".volumeMode", VOLUME_MODES, errs);
    if (spec.path("selector").isObject()) Validator.labelSelector(spec.path("selector"), path + ".selector", errs);
  }

  static void storageClass(ObjectNode sc, ObjectNode old, FieldErrors errs) {
    String provisioner = sc.path("provisioner").asString("");
    if (provisioner.isEmpty()) errs.required("provisioner");
    else for (String msg : Names.qualifiedName(provisioner.toLowerCase(java.util.Locale.ROOT))) errs.invalid("provisioner", provisioner, msg);
    oneOf(sc.path("reclaimPolicy"), "reclaimPolicy", CLASS_RECLAIM_POLICIES, errs);
    oneOf(sc.path("volumeBindingMode"), "volumeBindingMode", BINDING_MODES, errs);
    if (old == null) return;
    if (!Objects.equals(sc.path("parameters"), old.path("parameters"))) errs.forbidden("parameters", "updates to parameters are forbidden.");
    if (!Objects.equals(sc.path("provisioner"), old.path("provisioner"))) errs.forbidden("provisioner", "updates to provisioner are forbidden.");
    if (!Objects.equals(sc.path("reclaimPolicy"), old.path("reclaimPolicy"))) errs.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden.");
    if (!Objects.equals(sc.path("volumeBindingMode"), old.path("volumeBindingMode"))) {
      errs.invalid("volumeBindingMode", sc.path("volumeBindingMode").asString(""), "field is immutable");
    }
  }

  private static void accessModes(JsonNode modes, String path, FieldErrors errs) {
    if (!modes.isArray() || modes.isEmpty()) {
      errs.required(path + ".accessModes", "at least 1 access mode is required");
      return;
    }
    for (JsonNode m : modes) {
      if (!ACCESS_MODES.contains(m.asString(""))) errs.notSupported(path + ".accessModes", m.asString(""), ACCESS_MODES);
    }
    if (modes.size() > 1) {
      for (JsonNode m : modes) {
        if (m.asString("").equals("ReadWriteOncePod")) {
          errs.forbidden(path + ".accessModes", "may not use ReadWriteOncePod with other access modes");
        }
      }
    }
  }

  private static void positiveStorage(JsonNode q, String path, FieldErrors errs) {
    BigDecimal value;
    try {
      value = Quantities.parse(q.isNumber() ? q.asString() : q.asString(""));
    } catch (IllegalArgumentException e) {
      errs.invalid(path, q.isNumber() ? q.asString() : q.asString(""), e.getMessage());
      return;
    }
    if (value.signum() <= 0) errs.invalid(path, q.asString(""), "must be greater than zero");
  }

  private static BigDecimal quantity(JsonNode q) {
    try {
      return q.isMissingNode() || q.isNull() ? null : Quantities.parse(q.isNumber() ? q.asString() : q.asString(""));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void oneOf(JsonNode v, String path, List<String> supported, FieldErrors errs) {
    if (!v.isMissingNode() && !v.isNull() && !supported.contains(v.asString(""))) errs.notSupported(path, v.asString(""), supported);
  }

  private static boolean blank(JsonNode n) {
    return n.asString("").isBlank();
  }

  private static ObjectNode obj(ObjectNode parent, String field) {
    return parent.get(field) instanceof ObjectNode o ? o : parent.putObject(field);
  }

  private static void put(ObjectNode o, String field, String value) {
    if (!o.hasNonNull(field)) o.put(field, value);
  }
}

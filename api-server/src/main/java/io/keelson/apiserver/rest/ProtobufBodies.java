package io.keelson.apiserver.rest;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.keelson.apiserver.status.StatusException;
import io.keelson.apiserver.storage.ObjectCodec;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Apps;
import io.kubernetes.client.proto.V1Authentication;
import io.kubernetes.client.proto.V1Authorization;
import io.kubernetes.client.proto.V1Batch;
import io.kubernetes.client.proto.V1Autoscaling;
import io.kubernetes.client.proto.V1Policy;
import io.kubernetes.client.proto.V1Scheduling;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads the protobuf request bodies that kubectl's typed clients send ({@code kubectl create ns},
 * {@code create configmap}, {@code auth can-i}, drain's DeleteOptions...) into the same JSON trees
 * everything else uses. The message schemas come from Kubernetes' own descriptors (the
 * client-java-proto artifact); the few special types (Time, Quantity, IntOrString, RawExtension,
 * bytes) are mapped to their JSON forms here.
 */
final class ProtobufBodies {

  static final String MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
  private static final byte[] MAGIC = {'k', '8', 's', 0};

  private static final Map<String, FileDescriptor> BY_GROUP_VERSION = Map.ofEntries(
      Map.entry("v1", V1.getDescriptor()),
      Map.entry("apps/v1", V1Apps.getDescriptor()),
      Map.entry("batch/v1", V1Batch.getDescriptor()),
      Map.entry("policy/v1", V1Policy.getDescriptor()),
      Map.entry("authorization.k8s.io/v1", V1Authorization.getDescriptor()),
      Map.entry("authentication.k8s.io/v1", V1Authentication.getDescriptor()),
      Map.entry("autoscaling/v1", V1Autoscaling.getDescriptor()),
      // client-java-proto has no autoscaling/v2 file; v2 kept v2beta2's messages and field numbers
      Map.entry("autoscaling/v2", io.kubernetes.client.proto.V2beta2Autoscaling.getDescriptor()),
      Map.entry("scheduling.k8s.io/v1", V1Scheduling.getDescriptor()),
      Map.entry("rbac.authorization.k8s.io/v1", io.kubernetes.client.proto.V1Rbac.getDescriptor()),
      Map.entry("certificates.k8s.io/v1", io.kubernetes.client.proto.V1Certificates.getDescriptor()), // kubectl certificate approve
      Map.entry("networking.k8s.io/v1", io.kubernetes.client.proto.V1Networking.getDescriptor()),
      Map.entry("meta.k8s.io/v1", Meta.getDescriptor()));

  /**
   * Numbers and booleans that are plain values in the Go types (not pointers) and {@code omitempty}
   * in JSON. Go's protobuf encoding writes such a field even when it is zero, and Go reads a zero
   * back as "not set", so JSON never shows it: {@code kubectl create deployment} must not store
   * {@code paused: false} and {@code minReadySeconds: 0}. Pointer fields are written only when set,
   * and there a zero is meaningful ({@code replicas: 0}, {@code allowPrivilegeEscalation: false}),
   * so only the fields listed here lose their zeros. By message, for the kinds this server takes.
   */
  private static final Map<String, Set<String>> VALUE_FIELDS = Map.ofEntries(
      Map.entry("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", Set.of("generation")),
      Map.entry("k8s.io.api.core.v1.PodSpec", Set.of("hostNetwork", "hostPID", "hostIPC")),
      Map.entry("k8s.io.api.core.v1.Container", Set.of("stdin", "stdinOnce", "tty")),
      Map.entry("k8s.io.api.core.v1.EphemeralContainerCommon", Set.of("stdin", "stdinOnce", "tty")),
      Map.entry("k8s.io.api.core.v1.ContainerPort", Set.of("hostPort")),
      Map.entry("k8s.io.api.core.v1.VolumeMount", Set.of("readOnly")),
      Map.entry("k8s.io.api.core.v1.Probe",
          Set.of("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold")),
      Map.entry("k8s.io.api.core.v1.ServiceSpec", Set.of("healthCheckNodePort", "publishNotReadyAddresses")),
      Map.entry("k8s.io.api.core.v1.ServicePort", Set.of("nodePort")),
      Map.entry("k8s.io.api.core.v1.NodeSpec", Set.of("unschedulable")),
      Map.entry("k8s.io.api.core.v1.Event", Set.of("count")),
      Map.entry("k8s.io.api.apps.v1.DeploymentSpec", Set.of("minReadySeconds", "paused")),
      Map.entry("k8s.io.api.apps.v1.ReplicaSetSpec", Set.of("minReadySeconds")),
      Map.entry("k8s.io.api.apps.v1.DaemonSetSpec", Set.of("minReadySeconds")),
      Map.entry("k8s.io.api.apps.v1.StatefulSetSpec", Set.of("minReadySeconds")),
      Map.entry("k8s.io.api.networking.v1.ServiceBackendPort", Set.of("number")),
      Map.entry("k8s.io.api.scheduling.v1.PriorityClass", Set.of("globalDefault")));

  /** Go structs embedded with {@code json:",inline"}: a field of their own in protobuf, their fields in JSON. */
  private static final Set<String> INLINE = Set.of(
      "k8s.io.api.core.v1.Volume.volumeSource",
      "k8s.io.api.core.v1.Probe.handler",
      "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
      "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
      "k8s.io.api.networking.v1.IngressRule.ingressRuleValue");

  private ProtobufBodies() {}

  static boolean is(String contentType) {
    return MEDIA_TYPE.equals(Bodies.mediaType(contentType));
  }

  /** Decode a {@code k8s\0}-prefixed runtime.Unknown envelope into a JSON object with kind and apiVersion. */
  static ObjectNode decode(byte[] body) {
    if (body.length < 4 || !Arrays.equals(Arrays.copyOf(body, 4), MAGIC)) {
      throw StatusException.badRequest("the protobuf body does not start with the Kubernetes envelope (k8s\\0)");
    }
    Runtime.Unknown unknown;
    try {
      unknown = Runtime.Unknown.parseFrom(Arrays.copyOfRange(body, 4, body.length));
    } catch (InvalidProtocolBufferException e) {
      throw StatusException.badRequest("the protobuf body is not a valid runtime.Unknown envelope: " + e.getMessage());
    }
    String apiVersion = unknown.getTypeMeta().getApiVersion();
    String kind = unknown.getTypeMeta().getKind();
    FileDescriptor fd = BY_GROUP_VERSION.get(apiVersion.isEmpty() ? "meta.k8s.io/v1" : apiVersion);
    Descriptor d = fd == null ? null : fd.findMessageTypeByName(kind);
    if (d == null && kind.equals("DeleteOptions")) d = Meta.getDescriptor().findMessageTypeByName("DeleteOptions");
    if (d == null) {
      throw new StatusException(415, "UnsupportedMediaType", "protobuf bodies of " + apiVersion + " " + kind
          + " are not supported; send application/json", null, null, List.of());
    }
    try {
      DynamicMessage m = DynamicMessage.parseFrom(d, unknown.getRaw());
      ObjectNode o = (ObjectNode) toJson(m);
      o.put("kind", kind);
      o.put("apiVersion", apiVersion);
      return o;
    } catch (InvalidProtocolBufferException e) {
      throw StatusException.badRequest("the protobuf body is not a valid " + kind + ": " + e.getMessage());
    }
  }

  private static JsonNode toJson(Message m) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    switch (m.getDescriptorForType().getFullName()) {
      case "k8s.io.apimachinery.pkg.apis.meta.v1.Time", "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime" -> {
        long s = (Long) field(m, "seconds", 0L);
        int n = ((Number) field(m, "nanos", 0)).intValue();
        if (s == 0 && n == 0) return f.missingNode(); // Go's zero time: "not set"
        return f.stringNode(Instant.ofEpochSecond(s, n).toString());
      }
      case "k8s.io.apimachinery.pkg.api.resource.Quantity" -> {
        return f.stringNode((String) field(m, "string", ""));
      }
      case "k8s.io.apimachinery.pkg.util.intstr.IntOrString" -> {
        long type = ((Number) field(m, "type", 0L)).longValue();
        return type == 1 ? f.stringNode((String) field(m, "strVal", "")) : f.numberNode(((Number) field(m, "intVal", 0)).intValue());
      }
      case "k8s.io.apimachinery.pkg.runtime.RawExtension", "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1" -> {
        ByteString raw = (ByteString) field(m, "raw", ByteString.EMPTY);
        return raw.isEmpty() ? f.objectNode() : ObjectCodec.JSON.readTree(raw.toByteArray());
      }
      default -> { }
    }
    ObjectNode o = f.objectNode();
    Set<String> valueFields = VALUE_FIELDS.getOrDefault(m.getDescriptorForType().getFullName(), Set.of());
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor fd = e.getKey();
      if (fd.isMapField()) {
        ObjectNode map = o.putObject(fd.getName());
        for (Object entry : (List<?>) e.getValue()) {
          Message me = (Message) entry;
          FieldDescriptor kf = me.getDescriptorForType().findFieldByName("key");
          FieldDescriptor vf = me.getDescriptorForType().findFieldByName("value");
          map.set(String.valueOf(me.getField(kf)), scalar(vf, me.getField(vf)));
        }
      } else if (fd.isRepeated()) {
        ArrayNode arr = o.putArray(fd.getName());
        for (Object v : (List<?>) e.getValue()) arr.add(scalar(fd, v));
      } else if (INLINE.contains(fd.getFullName())) {
        if (toJson((Message) e.getValue()) instanceof ObjectNode inlined) o.setAll(inlined);
      } else {
        // Go encodes unset non-pointer fields as zero values; JSON (omitempty) would leave them out.
        // (An empty message stays: Go's JSON writes structs, and an empty one can mean something, e.g. emptyDir: {}.)
        JsonNode v = scalar(fd, e.getValue());
        boolean zeroValue = valueFields.contains(fd.getName())
            && ((v.isNumber() && v.asLong() == 0) || (v.isBoolean() && !v.asBoolean()));
        boolean empty = v.isMissingNode() || (v.isString() && v.asString().isEmpty()) || zeroValue;
        if (!empty) o.set(fd.getName(), v);
      }
    }
    return o;
  }

  private static JsonNode scalar(FieldDescriptor fd, Object v) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    return switch (fd.getJavaType()) {
      case MESSAGE -> toJson((Message) v);
      case BYTE_STRING -> f.stringNode(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
      case BOOLEAN -> f.booleanNode((Boolean) v);
      case INT -> f.numberNode((Integer) v);
      case LONG -> f.numberNode((Long) v);
      case DOUBLE -> f.numberNode((Double) v);
      case FLOAT -> f.numberNode((Float) v);
      default -> f.stringNode(String.valueOf(v));
    };
  }

  private static Object field(Message m, String name, Object fallback) {
    FieldDescriptor fd = m.getDescriptorForType().findFieldByName(name);
    return fd == null || !m.hasField(fd) ? fallback : m.getField(fd);
  }
}

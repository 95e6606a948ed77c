package io.keelson.apiserver.openapi;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Set;

/**
 * Maps a fabric8 model class to the definition name Kubernetes uses for the same type
 * ({@code io.k8s.api.apps.v1.Deployment}, {@code io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta}),
 * so that clients which key on those names (explain, strategic-merge lookups) find them.
 */
final class SchemaNames {

  static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
  static final String TIME = META + "Time";
  static final String MICRO_TIME = META + "MicroTime";
  static final String PATCH = META + "Patch";
  static final String QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
  static final String INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

  private static final String FABRIC8 = "io.fabric8.kubernetes.api.model";
  /** Keelson's own kinds (vm.keelson.io): named io.keelson.&lt;group&gt;.&lt;version&gt;.&lt;Type&gt;. */
  static final String KEELSON = "io.keelson.apiserver.model";

  /** fabric8 keeps these in its core package although Kubernetes defines them in meta/v1. */
  private static final Set<String> META_TYPES = Set.of(
      "ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference",
      "ManagedFieldsEntry", "FieldsV1", "Status", "StatusDetails", "StatusCause", "DeleteOptions",
      "Preconditions", "Condition", "MicroTime", "APIResource", "APIResourceList", "APIGroup", "APIGroupList",
      "APIVersions", "GroupVersionForDiscovery", "ServerAddressByClientCIDR", "WatchEvent", "GroupKind",
      "GroupVersionKind", "GroupVersionResource", "ListOptions", "GetOptions", "CreateOptions", "UpdateOptions",
      "PatchOptions", "PartialObjectMetadata", "PartialObjectMetadataList", "Table", "TableColumnDefinition",
      "TableRow", "TableRowCondition", "TableOptions", "TypeMeta", "RootPaths");

  private SchemaNames() {}

  static String of(Class<?> c) {
    if (c == Quantity.class) return QUANTITY;
    if (c == IntOrString.class) return INT_OR_STRING;
    String pkg = c.getPackageName();
    String simple = c.getSimpleName();
    if (pkg.equals(FABRIC8)) {
      return (META_TYPES.contains(simple) ? META : "io.k8s.api.core.v1.") + simple;
    }
    if (pkg.startsWith(KEELSON + ".")) return "io.keelson." + pkg.substring(KEELSON.length() + 1) + "." + simple;
    if (pkg.equals(FABRIC8 + ".runtime")) return "io.k8s.apimachinery.pkg.runtime." + simple;
    if (pkg.startsWith(FABRIC8 + ".")) {
      String rest = pkg.substring(FABRIC8.length() + 1);
      // fabric8 leaves the only served version out of a few package names.
      if (rest.equals("apps") || rest.equals("storage") || rest.equals("rbac")) rest = rest + ".v1";
      if (rest.startsWith("metrics.")) return "io.k8s.metrics.pkg.apis." + rest + "." + simple;
      return "io.k8s.api." + rest + "." + simple;
    }
    return c.getName();
  }

  /** Whether a class is a model type that gets its own component schema. */
  static boolean isModel(Class<?> c) {
    return (c.getPackageName().startsWith(FABRIC8) || c.getPackageName().startsWith(KEELSON)) && !c.isInterface() && !c.isEnum();
  }
}

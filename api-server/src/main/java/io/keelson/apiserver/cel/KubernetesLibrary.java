package io.keelson.apiserver.cel;

import static dev.cel.common.CelFunctionDecl.newFunctionDeclaration;
import static dev.cel.common.CelOverloadDecl.newGlobalOverload;
import static dev.cel.common.CelOverloadDecl.newMemberOverload;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.types.ListType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Kubernetes' own CEL functions beside CEL's standard ones (kube's {@code k8s.io/apiserver/pkg/cel/library}):
 * list helpers ({@code isSorted}, {@code sum}, {@code min}, {@code max}, {@code indexOf},
 * {@code lastIndexOf}), regular expressions ({@code find}, {@code findAll}, RE2 syntax as in kube)
 * and {@code isURL}.
 */
final class KubernetesLibrary {

  private static final ListType LIST = ListType.create(SimpleType.DYN);

  private KubernetesLibrary() {}

  static List<CelFunctionDecl> declarations() {
    return List.of(
        newFunctionDeclaration("isSorted", newMemberOverload("list_is_sorted", SimpleType.BOOL, LIST)),
        newFunctionDeclaration("sum", newMemberOverload("list_sum", SimpleType.DYN, LIST)),
        newFunctionDeclaration("min", newMemberOverload("list_min", SimpleType.DYN, LIST)),
        newFunctionDeclaration("max", newMemberOverload("list_max", SimpleType.DYN, LIST)),
        newFunctionDeclaration("indexOf", newMemberOverload("list_index_of", SimpleType.INT, LIST, SimpleType.DYN)),
        newFunctionDeclaration("lastIndexOf", newMemberOverload("list_last_index_of", SimpleType.INT, LIST, SimpleType.DYN)),
        newFunctionDeclaration("find", newMemberOverload("string_find", SimpleType.STRING, SimpleType.STRING, SimpleType.STRING)),
        newFunctionDeclaration("findAll",
            newMemberOverload("string_find_all", ListType.create(SimpleType.STRING), SimpleType.STRING, SimpleType.STRING),
            newMemberOverload("string_find_all_n", ListType.create(SimpleType.STRING), SimpleType.STRING, SimpleType.STRING, SimpleType.INT)),
        newFunctionDeclaration("isURL", newGlobalOverload("is_url", SimpleType.BOOL, SimpleType.STRING)));
  }

  static List<CelFunctionBinding> bindings() {
    return List.of(
        CelFunctionBinding.from("list_is_sorted", List.class, KubernetesLibrary::isSorted),
        CelFunctionBinding.from("list_sum", List.class, KubernetesLibrary::sum),
        CelFunctionBinding.from("list_min", List.class, l -> extreme(l, -1)),
        CelFunctionBinding.from("list_max", List.class, l -> extreme(l, 1)),
        CelFunctionBinding.from("list_index_of", List.class, Object.class, (l, v) -> (long) l.indexOf(v)),
        CelFunctionBinding.from("list_last_index_of", List.class, Object.class, (l, v) -> (long) l.lastIndexOf(v)),
        CelFunctionBinding.from("string_find", String.class, String.class, (s, re) -> {
          Matcher m = regex(re).matcher(s);
          return m.find() ? m.group() : "";
        }),
        CelFunctionBinding.from("string_find_all", String.class, String.class, (s, re) -> findAll(s, re, -1)),
        CelFunctionBinding.from("string_find_all_n", List.of(String.class, String.class, Long.class),
            args -> findAll((String) args[0], (String) args[1], (Long) args[2])),
        CelFunctionBinding.from("is_url", String.class, KubernetesLibrary::isUrl));
  }

  private static boolean isSorted(List<?> l) {
    for (int i = 1; i < l.size(); i++) if (compare(l.get(i - 1), l.get(i)) > 0) return false;
    return true;
  }

  private static Object sum(List<?> l) {
    if (l.isEmpty()) return 0L;
    if (l.stream().allMatch(v -> v instanceof Long)) {
      long total = 0;
      for (Object v : l) total = Math.addExact(total, (Long) v);
      return total;
    }
    double total = 0;
    for (Object v : l) total += number(v);
    return total;
  }

  private static Object extreme(List<?> l, int sign) {
    if (l.isEmpty()) throw new IllegalArgumentException((sign < 0 ? "min" : "max") + " called on empty list");
    Object best = l.get(0);
    for (Object v : l) if (compare(v, best) * sign > 0) best = v;
    return best;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compare(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y && a.getClass() != b.getClass()) {
      return Double.compare(x.doubleValue(), y.doubleValue());
    }
    if (a instanceof Comparable c && a.getClass() == b.getClass()) return c.compareTo(b);
    throw new IllegalArgumentException("no such overload: values of types " + CelValues.typeName(a) + " and "
        + CelValues.typeName(b) + " are not comparable");
  }

  private static double number(Object v) {
    if (v instanceof Number n) return n.doubleValue();
    throw new IllegalArgumentException("no such overload: sum of " + CelValues.typeName(v));
  }

  private static Pattern regex(String re) {
    try {
      return Pattern.compile(re);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid regex: " + e.getMessage(), e);
    }
  }

  private static List<String> findAll(String s, String re, long limit) {
    List<String> out = new ArrayList<>();
    Matcher m = regex(re).matcher(s);
    while ((limit < 0 || out.size() < limit) && m.find()) out.add(m.group());
    return out;
  }

  /** As Go's {@code url.ParseRequestURI}: an absolute URI or an absolute path. */
  private static boolean isUrl(String s) {
    try {
      URI u = new URI(s);
      return u.isAbsolute() || s.startsWith("/");
    } catch (Exception e) {
      return false;
    }
  }
}

package io.keelson.apiserver.cel;

import static dev.cel.common.CelFunctionDecl.newFunctionDeclaration;
import static dev.cel.common.CelOverloadDecl.newGlobalOverload;
import static dev.cel.common.CelOverloadDecl.newMemberOverload;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import io.keelson.apiserver.admission.Quantities;
import java.math.BigDecimal;
import java.util.List;

/**
 * Kube's CEL quantity library: {@code quantity("500m")}, {@code isQuantity(s)} and a quantity's
 * {@code sign}, {@code isInteger}, {@code asInteger}, {@code asApproximateFloat}, {@code add},
 * {@code sub}, {@code compareTo}, {@code isLessThan}, {@code isGreaterThan}; equal amounts are equal
 * whatever their notation ({@code quantity("1k") == quantity("1000")}).
 */
public final class KubernetesQuantity {

  static final OpaqueType TYPE = OpaqueType.create("kubernetes.Quantity");

  private final BigDecimal value;

  private KubernetesQuantity(BigDecimal value) {
    this.value = value.stripTrailingZeros();
  }

  static KubernetesQuantity parse(String s) {
    return new KubernetesQuantity(Quantities.parse(s));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KubernetesQuantity q && q.value.compareTo(value) == 0;
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value.toPlainString();
  }

  static List<CelFunctionDecl> declarations() {
    return List.of(
        newFunctionDeclaration("quantity", newGlobalOverload("string_to_quantity", TYPE, SimpleType.STRING)),
        newFunctionDeclaration("isQuantity", newGlobalOverload("is_quantity_string", SimpleType.BOOL, SimpleType.STRING)),
        newFunctionDeclaration("sign", newMemberOverload("quantity_sign", SimpleType.INT, TYPE)),
        newFunctionDeclaration("isInteger", newMemberOverload("quantity_is_integer", SimpleType.BOOL, TYPE)),
        newFunctionDeclaration("asInteger", newMemberOverload("quantity_get_integer", SimpleType.INT, TYPE)),
        newFunctionDeclaration("asApproximateFloat", newMemberOverload("quantity_get_float", SimpleType.DOUBLE, TYPE)),
        newFunctionDeclaration("add", newMemberOverload("quantity_add", TYPE, TYPE, TYPE),
            newMemberOverload("quantity_add_int", TYPE, TYPE, SimpleType.INT)),
        newFunctionDeclaration("sub", newMemberOverload("quantity_sub", TYPE, TYPE, TYPE),
            newMemberOverload("quantity_sub_int", TYPE, TYPE, SimpleType.INT)),
        newFunctionDeclaration("compareTo", newMemberOverload("quantity_compare_to", SimpleType.INT, TYPE, TYPE)),
        newFunctionDeclaration("isLessThan", newMemberOverload("quantity_less", SimpleType.BOOL, TYPE, TYPE)),
        newFunctionDeclaration("isGreaterThan", newMemberOverload("quantity_greater", SimpleType.BOOL, TYPE, TYPE)));
  }

  static List<CelFunctionBinding> bindings() {
    Class<KubernetesQuantity> q = KubernetesQuantity.class;
    return List.of(
        CelFunctionBinding.from("string_to_quantity", String.class, KubernetesQuantity::parse),
        CelFunctionBinding.from("is_quantity_string", String.class, s -> {
          try {
            parse(s);
            return true;
          } catch (IllegalArgumentException e) {
            return false;
          }
        }),
        CelFunctionBinding.from("quantity_sign", q, a -> (long) a.value.signum()),
        CelFunctionBinding.from("quantity_is_integer", q, a -> isInteger(a.value)),
        CelFunctionBinding.from("quantity_get_integer", q, a -> {
          if (!isInteger(a.value)) throw new IllegalArgumentException("cannot convert value to integer");
          return a.value.longValueExact();
        }),
        CelFunctionBinding.from("quantity_get_float", q, a -> a.value.doubleValue()),
        CelFunctionBinding.from("quantity_add", q, q, (a, b) -> new KubernetesQuantity(a.value.add(b.value))),
        CelFunctionBinding.from("quantity_add_int", q, Long.class, (a, b) -> new KubernetesQuantity(a.value.add(BigDecimal.valueOf(b)))),
        CelFunctionBinding.from("quantity_sub", q, q, (a, b) -> new KubernetesQuantity(a.value.subtract(b.value))),
        CelFunctionBinding.from("quantity_sub_int", q, Long.class, (a, b) -> new KubernetesQuantity(a.value.subtract(BigDecimal.valueOf(b)))),
        CelFunctionBinding.from("quantity_compare_to", q, q, (a, b) -> (long) a.value.compareTo(b.value)),
        CelFunctionBinding.from("quantity_less", q, q, (a, b) -> a.value.compareTo(b.value) < 0),
        CelFunctionBinding.from("quantity_greater", q, q, (a, b) -> a.value.compareTo(b.value) > 0));
  }

  /** An integer that fits an int64, as kube's asInteger requires. */
  private static boolean isInteger(BigDecimal v) {
    if (v.signum() != 0 && v.scale() > 0) return false;
    try {
      v.longValueExact();
      return true;
    } catch (ArithmeticException e) {
      return false;
    }
  }
}

package io.keelson.apiserver.cel;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.ast.CelReference;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Map;

/** One compiled expression, ready to evaluate any number of times (thread-safe). */
public final class CelExpression {

  private final String source;
  private final CelAbstractSyntaxTree ast;
  private final CelRuntime.Program program;

  CelExpression(String source, CelAbstractSyntaxTree ast, CelRuntime.Program program) {
    this.source = source;
    this.ast = ast;
    this.program = program;
  }

  public String source() {
    return source;
  }

  /** Whether the expression reads {@code variable}: kube runs transition rules (those reading oldSelf) only on updates. */
  public boolean references(String variable) {
    for (CelReference r : ast.getReferenceMap().values()) if (r.name().equals(variable)) return true;
    return false;
  }

  /** The value, as {@link CelValues#toJava} gives it; the variables as {@link CelValues#of} makes them. */
  public Object evaluate(Map<String, ?> variables) throws CelEvaluationError {
    try {
      return CelValues.toJava(program.eval(variables));
    } catch (CelEvaluationException | RuntimeException e) {
      throw new CelEvaluationError(message(e), e);
    }
  }

  /** A validation's answer: anything but a bool is an error, as in kube ("must evaluate to a bool"). */
  public boolean test(Map<String, ?> variables) throws CelEvaluationError {
    Object v = evaluate(variables);
    if (v instanceof Boolean b) return b;
    throw new CelEvaluationError("expression must evaluate to a bool, got " + CelValues.typeName(v), null);
  }

  /** A message expression's answer: a string, or an error naming what came instead. */
  public String text(Map<String, ?> variables) throws CelEvaluationError {
    Object v = evaluate(variables);
    if (v instanceof String s) return s;
    throw new CelEvaluationError("expression must evaluate to a string, got " + CelValues.typeName(v), null);
  }

  private static String message(Exception e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    // cel-java prefixes "evaluation error at <input>:12: "; kube's cel-go gives the bare reason
    int at = m.startsWith("evaluation error") ? m.indexOf(": ") : -1;
    String reason = at >= 0 ? m.substring(at + 2) : m;
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) root = root.getCause();
    // a library function's own reason ("quantities must match ..."), which cel-java keeps only as the cause
    return root != e && root.getMessage() != null && !reason.contains(root.getMessage()) ? reason + ": " + root.getMessage() : reason;
  }
}

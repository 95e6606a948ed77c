package io.keelson.apiserver.cel;

import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.OptionalType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where Kubernetes' CEL expressions compile: named variables (all {@code dyn}: values come from JSON,
 * as an int-or-string or a field under {@code x-kubernetes-preserve-unknown-fields} does in kube),
 * CEL's standard functions and macros ({@code has}, {@code all}, {@code exists}, {@code exists_one},
 * {@code map}, {@code filter}), the strings, sets and optional extensions kube enables, and
 * {@link KubernetesLibrary} and {@link KubernetesQuantity}. Compiled expressions are cached by source: the same rules run on every
 * write of a resource.
 */
public final class CelEnvironment {

  private static final int CACHE_LIMIT = 4096;

  private final CelCompiler compiler;
  private final CelRuntime runtime;
  private final Map<String, CelExpression> cache = new ConcurrentHashMap<>();

  /**
   * @param variables names bound to a value on every evaluation
   * @param optionalVariables names of type {@code optional(dyn)} (kube's oldSelf with optionalOldSelf)
   */
  public CelEnvironment(List<String> variables, List<String> optionalVariables) {
    CelOptions options = CelOptions.current().enableHeterogeneousNumericComparisons(true).build();
    CelCompilerBuilder compilerBuilder = CelCompilerFactory.standardCelCompilerBuilder()
        .setOptions(options)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .addLibraries(CelExtensions.strings(), CelExtensions.sets(options), CelExtensions.optional())
        .addFunctionDeclarations(KubernetesLibrary.declarations())
        .addFunctionDeclarations(KubernetesQuantity.declarations());
    variables.forEach(v -> compilerBuilder.addVar(v, SimpleType.DYN));
    optionalVariables.forEach(v -> compilerBuilder.addVar(v, OptionalType.create(SimpleType.DYN)));
    this.compiler = compilerBuilder.build();
    this.runtime = CelRuntimeFactory.standardCelRuntimeBuilder()
        .setOptions(options)
        .addLibraries(CelExtensions.strings(), CelExtensions.sets(options), CelExtensions.optional())
        .addFunctionBindings(KubernetesLibrary.bindings())
        .addFunctionBindings(KubernetesQuantity.bindings())
        .build();
  }

  /**
   * What a {@code messageExpression} (of a CRD rule or a policy's validation) says: its text when it
   * compiles and evaluates to one non-blank line; null when it is blank or fails, and kube then falls
   * back to the static message.
   */
  public String message(String messageExpression, Map<String, ?> variables) {
    if (messageExpression == null || messageExpression.isBlank()) return null;
    try {
      String text = compile(messageExpression).text(variables).trim();
      return text.isEmpty() || text.contains("\n") ? null : text;
    } catch (CelCompileException | CelEvaluationError e) {
      return null;
    }
  }

  /** kube's words for an expression that did not compile or failed to evaluate. */
  public static String resultedInError(String expression, Exception e) {
    return "expression '" + expression + "' resulted in error: " + e.getMessage();
  }

  /** The compiled expression; CEL's own error text (position and caret) when it does not compile. */
  public CelExpression compile(String source) throws CelCompileException {
    CelExpression cached = cache.get(source);
    if (cached != null) return cached;
    CelValidationResult result = compiler.compile(source);
    if (result.hasError()) throw new CelCompileException(result.getErrorString());
    try {
      CelExpression compiled = new CelExpression(source, result.getAst(), runtime.createProgram(result.getAst()));
      if (cache.size() >= CACHE_LIMIT) cache.clear(); // rules change rarely: starting over is cheap enough
      cache.put(source, compiled);
      return compiled;
    } catch (Exception e) {
      throw new CelCompileException(String.valueOf(e.getMessage()));
    }
  }
}

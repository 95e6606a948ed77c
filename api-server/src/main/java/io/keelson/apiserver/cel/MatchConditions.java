package io.keelson.apiserver.cel;

import io.keelson.apiserver.status.StatusException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * kube's match-conditions matcher, shared by admission webhooks and ValidatingAdmissionPolicies:
 * every condition is evaluated; one that is false means no match (whatever the others did), else
 * one that failed (an error, a non-bool) makes the result an error, which the caller settles by its
 * failurePolicy.
 */
public final class MatchConditions {

  private MatchConditions() {}

  /** @param error why the conditions could not be decided (kube's aggregate of the failures); null when decided */
  public record Result(boolean matches, String error) {
    static final Result MATCH = new Result(true, null);
    static final Result NO_MATCH = new Result(false, null);
  }

  /** The conditions ({@code [{name, expression}]}) over {@code variables}; no conditions match. */
  public static Result evaluate(CelEnvironment env, JsonNode conditions, Map<String, ?> variables) {
    List<String> errors = new ArrayList<>();
    for (JsonNode condition : conditions) {
      String expression = condition.path("expression").asString("");
      try {
        if (!env.compile(expression).test(variables)) return Result.NO_MATCH;
      } catch (CelCompileException | CelEvaluationError e) {
        String message = CelEnvironment.resultedInError(expression, e);
        if (!errors.contains(message)) errors.add(message);
      }
    }
    if (errors.isEmpty()) return Result.MATCH;
    return new Result(false, StatusException.aggregate(errors));
  }
}

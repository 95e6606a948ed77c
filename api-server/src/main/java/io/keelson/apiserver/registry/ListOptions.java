package io.keelson.apiserver.registry;

import io.keelson.apiserver.selection.FieldSelector;
import io.keelson.apiserver.selection.LabelSelector;

/**
 * A parsed list or watch request.
 *
 * @param resourceVersion "" (consistent read), "0" (any recent state, from the cache) or a revision
 * @param limit page size (0 = everything)
 * @param continueToken the token of the previous page
 * @param resourceVersionMatch "" (the default for the request's shape), "NotOlderThan" or "Exact"
 */
public record ListOptions(LabelSelector labels, FieldSelector fields, String resourceVersion, long limit,
    String continueToken, String resourceVersionMatch) {
  public static final ListOptions ALL = new ListOptions(LabelSelector.EVERYTHING, FieldSelector.EVERYTHING, "", 0, null);

  public ListOptions(LabelSelector labels, FieldSelector fields, String resourceVersion, long limit, String continueToken) {
    this(labels, fields, resourceVersion, limit, continueToken, "");
  }

  public boolean matches(tools.jackson.databind.node.ObjectNode o) {
    return labels.test(o) && fields.test(o);
  }
}

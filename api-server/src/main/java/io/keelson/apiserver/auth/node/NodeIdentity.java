package io.keelson.apiserver.auth.node;

import io.keelson.apiserver.auth.UserInfo;

/**
 * kube's nodeidentifier: a user in group {@code system:nodes} named {@code system:node:<name>} is
 * the agent of node {@code <name>} (the CN and O of the client certificate {@code ./keelson up}
 * issues every agent).
 */
public final class NodeIdentity {

  public static final String GROUP = "system:nodes";
  public static final String PREFIX = "system:node:";

  private NodeIdentity() {}

  /** Whether {@code user} is a node at all (its name may still be unusable). */
  public static boolean isNode(UserInfo user) {
    return user != null && user.groups().contains(GROUP) && user.username().startsWith(PREFIX);
  }

  /** The node {@code user} speaks for, or null when it is not a node or names none. */
  public static String nodeName(UserInfo user) {
    if (!isNode(user)) return null;
    String name = user.username().substring(PREFIX.length());
    return name.isEmpty() ? null : name;
  }
}

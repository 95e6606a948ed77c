package io.keelson.apiserver.storage;

import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * Jackson's node factory with JSON objects backed by a {@link FieldMap} instead of a LinkedHashMap
 * (the same trees in about half the memory), and short string values shared between the trees it
 * makes while they recur (kinds, API versions, namespaces, node names, condition types and
 * statuses, timestamps of one second: most of a pod's strings are someone else's too). The
 * api-server's mapper ({@link ObjectCodec#JSON}) uses it, so request bodies, decoded stored objects
 * and the watch cache's copy of every object are such trees; nodes made from them
 * ({@code putObject}, {@code deepCopy}) inherit it.
 */
public final class CompactNodeFactory extends JsonNodeFactory {

  private static final long serialVersionUID = 1L;

  public static final CompactNodeFactory INSTANCE = new CompactNodeFactory();

  /** Longer values (uids aside, rarely repeated) are not looked up. */
  private static final int MAX_SHARED_LENGTH = 64;
  private static final int SLOTS = 8192;

  /**
   * The last string node made for each slot (by the value's hash): lossy, and racy on purpose
   * (StringNode is immutable; a lost write only loses the sharing).
   */
  private final transient StringNode[] recent = new StringNode[SLOTS];

  private CompactNodeFactory() {}

  private Object readResolve() {
    return INSTANCE;
  }

  @Override
  public ObjectNode objectNode() {
    return new CompactObjectNode(this, new FieldMap());
  }

  @Override
  public StringNode stringNode(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_SHARED_LENGTH) return super.stringNode(text);
    int h = text.hashCode();
    int slot = (h ^ (h >>> 13)) & (SLOTS - 1);
    StringNode n = recent[slot];
    if (n != null && text.equals(n.stringValue())) return n;
    n = StringNode.valueOf(text);
    recent[slot] = n;
    return n;
  }
}

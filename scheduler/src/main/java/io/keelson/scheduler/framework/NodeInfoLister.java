package io.keelson.scheduler.framework;

import java.util.List;

/** Read access to the node snapshot of the current scheduling cycle. */
public interface NodeInfoLister {
  List<NodeInfo> list();

  NodeInfo get(String nodeName);

  List<NodeInfo> havePodsWithAffinity();

  List<NodeInfo> havePodsWithRequiredAntiAffinity();
}

package io.keelson.apiserver.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.keelson.apiserver.resource.ResourceRegistry;
import io.keelson.apiserver.resource.ResourceType;
import io.keelson.apiserver.storage.ObjectCodec;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/**
 * Events expire (kube-apiserver's --event-ttl): every write of one attaches it to an etcd lease of
 * the TTL plus the reuse window, so etcd deletes it after its last write; other kinds never expire.
 */
class ExpiringObjectsTest extends InMemoryRegistryTest {

  private static final ResourceType EVENTS = ResourceRegistry.find("", "v1", "events").orElseThrow();
  private static final ResourceType EVENTS_V1 = ResourceRegistry.find("events.k8s.io", "v1", "events").orElseThrow();
  private static final ResourceType CONFIGMAPS = ResourceRegistry.find("", "v1", "configmaps").orElseThrow();

  @BeforeEach
  void eventsLiveAnHour() {
    svc.expireAfter(EVENTS, Duration.ofHours(1));
  }

  private static ObjectNode json(String s) {
    return (ObjectNode) ObjectCodec.JSON.readTree(s.replace('\'', '"'));
  }

  private static ObjectNode event(String name) {
    return json("{'apiVersion':'v1','kind':'Event','metadata':{'name':'" + name + "'},'involvedObject':{'kind':'Pod','name':'p',"
        + "'namespace':'default'},'reason':'Started','message':'m','type':'Normal','count':1}");
  }

  @Test
  void anEventIsWrittenWithALeaseAndAConfigMapWithout() {
    svc.create(EVENTS, "default", event("e1"), WriteOptions.manager("kubelet"));
    long lease = store.leaseOf(EVENTS.key("default", "e1"));
    assertThat(lease).isNotZero();
    assertThat(store.ttlOf(lease)).isEqualTo(3600 + 60);
    svc.create(CONFIGMAPS, "default", json("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'}}"), WriteOptions.manager("k"));
    assertThat(store.leaseOf(CONFIGMAPS.key("default", "c"))).isZero();
  }

  @Test
  void eventsOfOneWindowShareALeaseAndAnUpdateKeepsTheEventOnOne() {
    svc.create(EVENTS, "default", event("e1"), WriteOptions.manager("kubelet"));
    svc.create(EVENTS, "default", event("e2"), WriteOptions.manager("kubelet"));
    long lease = store.leaseOf(EVENTS.key("default", "e1"));
    assertThat(store.leaseOf(EVENTS.key("default", "e2"))).isEqualTo(lease);
    svc.mutate(EVENTS, "default", "e1", WriteOptions.manager("kubelet"), cur -> {
      cur.put("count", 2);
      return cur;
    });
    // without a lease on the new value etcd would detach the key, and the event would never expire
    assertThat(store.leaseOf(EVENTS.key("default", "e1"))).isNotZero();
  }

  @Test
  void anEventWrittenThroughEventsV1ExpiresToo() {
    ObjectNode v1 = json("{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'s1'},'regarding':{'kind':'Pod',"
        + "'name':'p','namespace':'default'},'reason':'Scheduled','note':'n','type':'Normal','action':'Binding',"
        + "'eventTime':'2026-11-27T19:00:01.000000Z','reportingController':'default-scheduler','reportingInstance':'s-1'}");
    svc.create(EVENTS_V1, "default", v1, WriteOptions.manager("scheduler"));
    assertThat(store.leaseOf(EVENTS.key("default", "s1"))).isNotZero();
  }
}

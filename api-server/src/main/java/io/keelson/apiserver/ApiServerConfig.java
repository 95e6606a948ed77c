package io.keelson.apiserver;

import io.keelson.apiserver.auth.AuthenticationFilter;
import io.keelson.apiserver.auth.rbac.CachedPolicy;
import io.keelson.apiserver.auth.rbac.EscalationCheck;
import io.keelson.apiserver.auth.rbac.RbacAuthorizer;
import io.keelson.apiserver.registry.ResourceService;
import io.keelson.apiserver.rest.ApiController;
import io.keelson.apiserver.rest.ApiFastPath;
import io.keelson.apiserver.rest.OptionsRejection;
import io.keelson.apiserver.storage.EtcdStore;
import io.keelson.apiserver.watch.WatchCache;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** Wires storage, the resource service, RBAC and the authentication filter. */
@Configuration(proxyBeanMethods = false)
public class ApiServerConfig {

  @Bean(destroyMethod = "close")
  EtcdStore etcdStore(@Value("${keelson.etcd-servers:http://127.0.0.1:2379}") String servers, MeterRegistry meters,
      @Value("${keelson.encryption-provider-config:}") String encryptionConfig) throws Exception {
    return new EtcdStore(List.of(servers.split(",")), meters, encryptionConfig.isEmpty() ? null
        : io.keelson.apiserver.storage.encryption.EncryptionAtRest.load(java.nio.file.Path.of(encryptionConfig)));
  }

  @Bean
  ResourceService resourceService(EtcdStore store, @Value("${keelson.watch-window:20000}") int window,
      @Value("${keelson.event-ttl-seconds:3600}") long eventTtlSeconds, MeterRegistry meters) {
    ResourceService svc = new ResourceService(store, window);
    svc.expireAfter(io.keelson.apiserver.resource.ResourceRegistry.find("", "v1", "events").orElseThrow(),
        java.time.Duration.ofSeconds(eventTtlSeconds));
    for (WatchCache c : svc.caches().values()) {
      String r = c.type().qualifiedResource();
      Gauge.builder("apiserver_watch_cache_objects", c, WatchCache::size).tag("resource", r)
          .description("objects held by the watch cache").register(meters);
      Gauge.builder("apiserver_watchers", c, WatchCache::watcherCount).tag("resource", r)
          .description("open client watches").register(meters);
    }
    svc.admitDynamically(new io.keelson.apiserver.webhook.WebhookAdmission(svc)); // the admission webhooks
    svc.start();
    return svc;
  }

  /** Serves the custom resource types the CustomResourceDefinitions in etcd ask for. */
  @Bean(destroyMethod = "close")
  io.keelson.apiserver.apiextensions.CustomResourceRegistrar customResourceRegistrar(ResourceService resources) {
    var registrar = new io.keelson.apiserver.apiextensions.CustomResourceRegistrar(resources);
    registrar.start();
    return registrar;
  }

  @Bean
  io.keelson.apiserver.auth.ServiceAccountTokens serviceAccountTokens(@Value("${keelson.dir}") String dir) throws Exception {
    return new io.keelson.apiserver.auth.ServiceAccountTokens(
        io.keelson.apiserver.auth.ClusterCredentials.serviceAccountKey(java.nio.file.Path.of(dir)));
  }

  /** RBAC over the watch caches; it also guards RBAC writes against privilege escalation. */
  @Bean
  RbacAuthorizer rbacAuthorizer(ResourceService resources) {
    RbacAuthorizer rbac = new RbacAuthorizer(new CachedPolicy(resources));
    resources.guardWrites(new EscalationCheck(rbac));
    return rbac;
  }

  /** The audit log of --audit-policy-file and --audit-log-path; closing it writes what is still queued. */
  @Bean(destroyMethod = "close")
  io.keelson.apiserver.audit.Auditor auditor(@Value("${keelson.audit-policy-file:}") String policy,
      @Value("${keelson.audit-log-path:}") String path, @Value("${keelson.audit-log-maxsize:0}") int maxSize,
      @Value("${keelson.audit-log-maxbackup:0}") int maxBackup, @Value("${keelson.audit-log-maxage:0}") int maxAge,
      MeterRegistry meters) {
    return io.keelson.apiserver.audit.Auditor.open(policy.isEmpty() ? null : java.nio.file.Path.of(policy), path, maxSize,
        maxBackup, maxAge, meters);
  }

  @Bean
  io.keelson.apiserver.inflight.MaxInFlight maxInFlight(@Value("${keelson.max-requests-inflight:400}") int readOnly,
      @Value("${keelson.max-mutating-requests-inflight:200}") int mutating, MeterRegistry meters) {
    return new io.keelson.apiserver.inflight.MaxInFlight(readOnly, mutating, meters);
  }

  /** The authorization chain (kube's Node,RBAC), with NodeRestriction admission for agents' writes. */
  @Bean
  @org.springframework.context.annotation.Primary
  io.keelson.apiserver.auth.Authorizer authorizer(RbacAuthorizer rbac, ResourceService resources) {
    resources.guardWrites(new io.keelson.apiserver.auth.node.NodeRestriction());
    resources.guardWrites(new io.keelson.apiserver.policy.ValidatingAdmissionPolicies(resources)); // after authorization's checks, as in kube
    return new io.keelson.apiserver.auth.node.NodeAuthorizer(rbac, io.keelson.apiserver.auth.node.PodIndex.of(resources));
  }

  @Bean
  AuthenticationFilter authenticationFilter(@Value("${keelson.admin-token}") String token,
      io.keelson.apiserver.auth.ServiceAccountTokens tokens, ResourceService resources, io.keelson.apiserver.auth.Authorizer authorizer,
      io.keelson.apiserver.audit.Auditor auditor, io.keelson.apiserver.inflight.MaxInFlight inFlight) {
    return new AuthenticationFilter(token, tokens, new io.keelson.apiserver.auth.TokenRequests(resources, tokens)::stillValid, authorizer,
        auditor, inFlight);
  }

  @Bean
  FilterRegistrationBean<AuthenticationFilter> authenticationRegistration(AuthenticationFilter f) {
    FilterRegistrationBean<AuthenticationFilter> r = new FilterRegistrationBean<>(f);
    r.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    r.addUrlPatterns("/*");
    return r;
  }

  @Bean
  FilterRegistrationBean<OptionsRejection> optionsRejectionRegistration() {
    FilterRegistrationBean<OptionsRejection> r = new FilterRegistrationBean<>(new OptionsRejection());
    r.setOrder(Ordered.HIGHEST_PRECEDENCE + 15); // after authentication, before everything that answers
    r.addUrlPatterns("/*");
    return r;
  }

  @Bean
  FilterRegistrationBean<ApiFastPath> apiFastPathRegistration(ApiController api) {
    FilterRegistrationBean<ApiFastPath> r = new FilterRegistrationBean<>(new ApiFastPath(api));
    r.setOrder(Ordered.HIGHEST_PRECEDENCE + 20); // right after authentication
    r.addUrlPatterns("/api/v1/*", "/apis/*");
    return r;
  }
}

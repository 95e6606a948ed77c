package io.keelson.controller.certificates;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.keelson.controller.runtime.Controller;
import io.keelson.controller.runtime.Informers;
import io.keelson.controller.runtime.ManagedController;
import io.keelson.controller.runtime.Reconciler;
import io.keelson.controller.runtime.Result;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kube-controller-manager's csrsigning for the {@code kubernetes.io/kube-apiserver-client} signer:
 * an approved request ({@code kubectl certificate approve}) gets a client certificate from the
 * cluster CA in {@code status.certificate}, which the api-server then accepts as the user of its
 * CN and the groups of its O values. A request whose usages that signer may not grant is marked
 * Failed (SignerValidationFailure) instead. Other signers' requests are left to their signers.
 */
public final class CsrSigningController implements Reconciler, ManagedController {
  private static final Logger log = LoggerFactory.getLogger(CsrSigningController.class);
  public static final String NAME = "csrsigning";
  public static final String CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client";
  private static final Set<String> CLIENT_USAGES = Set.of("client auth", "digital signature", "key encipherment");

  private final KubernetesClient client;
  private final SharedIndexInformer<CertificateSigningRequest> requests;
  private final ClusterSigner signer;
  private final Clock clock;
  private final Controller controller;

  public CsrSigningController(Informers informers, ClusterSigner signer, MeterRegistry metrics, int workers, Clock clock) {
    this.client = informers.client();
    this.requests = informers.of(CertificateSigningRequest.class);
    this.signer = signer;
    this.clock = clock;
    this.controller = new Controller(NAME, this, workers, metrics);
    requests.addEventHandler(Informers.handler(r -> List.of(r.getMetadata().getName()), controller::enqueue));
  }

  @Override
  public List<Controller> controllers() {
    return List.of(controller);
  }

  @Override
  public Result reconcile(String name) {
    CertificateSigningRequest csr = requests.getIndexer().getByKey(name);
    if (csr == null || !CLIENT_SIGNER.equals(csr.getSpec().getSignerName()) || !pending(csr)) return Result.noUpdate();
    List<String> usages = csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages();
    String refused = !usages.contains("client auth") ? "a client certificate needs the usage \"client auth\""
        : usages.stream().filter(u -> !CLIENT_USAGES.contains(u)).findFirst()
            .map(u -> "invalid usage for client certificate: " + u).orElse(null);
    var status = csr.getStatus();
    if (refused != null) {
      status.getConditions().add(condition("Failed", "SignerValidationFailure", refused));
    } else {
      try {
        Duration requested = csr.getSpec().getExpirationSeconds() == null ? null
            : Duration.ofSeconds(csr.getSpec().getExpirationSeconds());
        String pem = signer.signClient(Base64.getDecoder().decode(csr.getSpec().getRequest()), requested, clock.instant());
        status.setCertificate(Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII)));
      } catch (IllegalArgumentException e) { // the api-server validated it; a request this signer cannot read fails
        status.getConditions().add(condition("Failed", "SignerValidationFailure", e.getMessage()));
      }
    }
    try {
      client.certificates().v1().certificateSigningRequests().resource(csr).updateStatus();
      log.info("certificatesigningrequest {}: {}", name, refused != null ? "failed: " + refused : "issued");
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409 && e.getCode() != 404) throw e; // changed or gone meanwhile: the informer brings it back
    }
    return Result.noUpdate();
  }

  /** Approved, not denied or failed, and not issued yet. */
  static boolean pending(CertificateSigningRequest csr) {
    if (csr.getStatus() == null) return false;
    if (csr.getStatus().getCertificate() != null && !csr.getStatus().getCertificate().isEmpty()) return false;
    boolean approved = false;
    for (CertificateSigningRequestCondition c : csr.getStatus().getConditions()) {
      if (c.getType().equals("Denied") || c.getType().equals("Failed")) return false;
      approved |= c.getType().equals("Approved") && !"False".equals(c.getStatus());
    }
    return approved;
  }

  private CertificateSigningRequestCondition condition(String type, String reason, String message) {
    String now = Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    return new CertificateSigningRequestConditionBuilder().withType(type).withStatus("True").withReason(reason)
        .withMessage(message).withLastUpdateTime(now).withLastTransitionTime(now).build();
  }
}

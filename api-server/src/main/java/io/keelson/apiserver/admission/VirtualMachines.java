package io.keelson.apiserver.admission;

import io.keelson.apiserver.model.vm.v1alpha1.VirtualMachine;
import java.math.BigDecimal;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Defaults and validation of vm.keelson.io/v1alpha1 VirtualMachines (Full VMs): a VM runs unless
 * {@code spec.running} is false, with 1 vCPU and 256Mi unless told, from a BIOS (SeaBIOS) that boots
 * {@code spec.disk.image}'s disk. Messages as kube's field validation writes them.
 */
final class VirtualMachines {

  static final String GROUP = VirtualMachine.GROUP;
  private static final List<String> FIRMWARE = List.of("bios");
  private static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
  private static final BigDecimal MIN_MEMORY = BigDecimal.valueOf(16L << 20);
  /** What one VM may ask for: qemu's TCG and most guests are happy below it. */
  private static final int MAX_CPUS = 64;

  private VirtualMachines() {}

  static void defaults(ObjectNode vm) {
    JsonNode s = vm.get("spec");
    if (s == null || s.isNull()) s = vm.putObject("spec");
    if (!(s instanceof ObjectNode spec)) return; // wrong type: the validator says so
    if (!spec.hasNonNull("running")) spec.put("running", true);
    if (!spec.hasNonNull("cpus")) spec.put("cpus", 1);
    if (!spec.hasNonNull("memory")) spec.put("memory", "256Mi");
    if (!spec.hasNonNull("firmware")) spec.put("firmware", "bios");
    if (!spec.hasNonNull("terminationGracePeriodSeconds")) spec.put("terminationGracePeriodSeconds", 30);
    if (spec.get("disk") instanceof ObjectNode disk && !disk.hasNonNull("imagePullPolicy")) {
      String image = disk.path("image").asString("");
      // as for a container: a :latest (or untagged) image is pulled every time, others once
      disk.put("imagePullPolicy", image.contains("@") || (image.contains(":") && !image.endsWith(":latest")
          && image.lastIndexOf(':') > image.lastIndexOf('/')) ? "IfNotPresent" : "Always");
    }
  }

  static void validate(ObjectNode vm, FieldErrors errs) {
    JsonNode spec = vm.path("spec");
    JsonNode image = spec.path("disk").path("image");
    if (!image.isString() || image.asString().isBlank()) {
      errs.required("spec.disk.image", "the OCI image that holds the VM's disk as /disk/<file> (raw or qcow2)");
    } else if (!image.asString().equals(image.asString().strip())) {
      errs.invalid("spec.disk.image", image.asString(), "must not have leading or trailing whitespace");
    }
    String pull = spec.path("disk").path("imagePullPolicy").asString(null);
    if (pull != null && !PULL_POLICIES.contains(pull)) errs.notSupported("spec.disk.imagePullPolicy", pull, PULL_POLICIES);
    JsonNode cpus = spec.path("cpus");
    if (!cpus.isMissingNode() && (!cpus.isIntegralNumber() || cpus.asInt() < 1 || cpus.asInt() > MAX_CPUS)) {
      errs.invalid("spec.cpus", cpus, "must be between 1 and " + MAX_CPUS);
    }
    JsonNode memory = spec.path("memory");
    if (!memory.isMissingNode()) {
      String raw = memory.isString() ? memory.asString() : memory.isNumber() ? memory.decimalValue().toPlainString() : null;
      try {
        if (raw == null) throw new IllegalArgumentException(Quantities.FORMAT_ERROR);
        if (Quantities.parse(raw).compareTo(MIN_MEMORY) < 0) errs.invalid("spec.memory", raw, "must be at least 16Mi");
      } catch (IllegalArgumentException e) {
        errs.invalid("spec.memory", memory, e.getMessage());
      }
    }
    String firmware = spec.path("firmware").asString(null);
    if (firmware != null && !FIRMWARE.contains(firmware)) {
      // only SeaBIOS is there to boot with; UEFI (OVMF) is not packaged on nodes
      errs.notSupported("spec.firmware", firmware, FIRMWARE);
    }
    JsonNode grace = spec.path("terminationGracePeriodSeconds");
    if (!grace.isMissingNode() && (!grace.isIntegralNumber() || grace.asLong() < 0)) {
      errs.invalid("spec.terminationGracePeriodSeconds", grace, "must be greater than or equal to 0");
    }
  }
}

package io.keelson.apiserver.model.vm.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The boot disk: an OCI image holding it as /disk/&lt;file&gt; (KubeVirt's containerDisk layout). */
public class VirtualMachineDisk {
  @JsonProperty("image") String image;
  @JsonProperty("imagePullPolicy") String imagePullPolicy;
}

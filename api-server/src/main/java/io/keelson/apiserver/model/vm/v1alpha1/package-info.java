/**
 * The {@code vm.keelson.io/v1alpha1} model: Full VMs ({@code VirtualMachine}), a small KubeVirt-like
 * kind that boots a user's disk image. Plain classes with Jackson property annotations, as fabric8's
 * models are: the api-server reflects over them for OpenAPI (kubectl explain) and field validation;
 * objects themselves stay JSON trees.
 */
package io.keelson.apiserver.model.vm.v1alpha1;

package io.keelson.apiserver.resource;

import io.keelson.apiserver.conversion.Conversion;

/**
 * A served resource with no storage of its own: its objects are those of {@code storage}, converted
 * (Kubernetes' cohabitating resources, e.g. events.k8s.io/v1 events over core/v1 events). It has
 * no watch cache; reads, watches and writes go to the storage resource's.
 */
public record ResourceView(ResourceType served, ResourceType storage, Conversion conversion) {}

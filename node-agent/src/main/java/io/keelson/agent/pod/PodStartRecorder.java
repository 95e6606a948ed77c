package io.keelson.agent.pod;

import java.time.Duration;
import java.util.Map;

/**
 * Told once per pod when it first reaches phase Running on this agent: how long it took from the
 * assignment arriving on the stream, and where that time went (ordered phases, see {@link
 * PodStartTrace}). Pods recovered after an agent restart are not reported.
 */
public interface PodStartRecorder {
  PodStartRecorder NONE = (namespace, name, total, phases) -> {};

  void podStarted(String namespace, String name, Duration total, Map<String, Duration> phases);
}

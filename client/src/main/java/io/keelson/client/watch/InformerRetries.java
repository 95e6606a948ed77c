package io.keelson.client.watch;

import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every fabric8 informer of Keelson's components needs besides fabric8's defaults. */
public final class InformerRetries {
  private static final Logger log = LoggerFactory.getLogger(InformerRetries.class);

  private InformerRetries() {}

  /**
   * Keeps the informer listing and watching after any failure, as client-go's Reflector does.
   * fabric8's default gives up for good when the first list fails (e.g. times out on a loaded
   * api-server): the informer then never syncs, and whatever waits for it (an agent building a
   * container's Service variables) fails until the process restarts. fabric8 retries with its
   * exponential backoff.
   */
  public static <T> SharedIndexInformer<T> forever(SharedIndexInformer<T> informer) {
    return informer.exceptionHandler((started, t) -> {
      log.warn("{} failed ({}); retrying", started ? "watch" : "first list", t.toString());
      return true;
    });
  }
}

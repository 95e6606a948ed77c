package io.keelson.apiserver.rest;

import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Lets {@code %2F} in a path reach {@link ApiPath} (which answers a 404 Status) instead of Tomcat
 * rejecting it with an HTML 400 page that clients cannot parse as a Status.
 */
@Component
public class EncodedSlashes implements WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> {

  @Override
  public void customize(ConfigurableTomcatWebServerFactory factory) {
    factory.addConnectorCustomizers(c -> {
      c.setEncodedSolidusHandling("passthrough");
      c.setEncodedReverseSolidusHandling("passthrough");
    });
  }
}

package io.keelson.apiserver.streaming;

import io.keelson.apiserver.portforward.PortForwardWebSocketHandler;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.ServletWebSocketHandlerRegistry;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

/**
 * Registers the WebSocket endpoints of pods (exec, attach, port-forward). Their mapping is ordered before
 * the generic {@code /api/v1/**} controller so that the upgrade requests reach the WebSocket
 * handler.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class StreamingConfig implements WebSocketConfigurer {
  private final ExecWebSocketHandler exec;
  private final AttachWebSocketHandler attach;
  private final PortForwardWebSocketHandler portForward;

  public StreamingConfig(ExecWebSocketHandler exec, AttachWebSocketHandler attach, PortForwardWebSocketHandler portForward) {
    this.exec = exec;
    this.attach = attach;
    this.portForward = portForward;
  }

  @Override
  public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
    registry.addHandler(exec, "/api/v1/namespaces/*/pods/*/exec").setAllowedOriginPatterns("*");
    registry.addHandler(attach, "/api/v1/namespaces/*/pods/*/attach").setAllowedOriginPatterns("*");
    registry.addHandler(portForward, "/api/v1/namespaces/*/pods/*/portforward").setAllowedOriginPatterns("*")
        .addInterceptors(new PortForwardWebSocketHandler.ProtocolEcho());
    if (registry instanceof ServletWebSocketHandlerRegistry servlet) {
      servlet.setOrder(Ordered.HIGHEST_PRECEDENCE);
    }
  }

  @Bean
  ServletServerContainerFactoryBean webSocketContainer() {
    ServletServerContainerFactoryBean c = new ServletServerContainerFactoryBean();
    c.setMaxBinaryMessageBufferSize(1 << 20);
    c.setMaxTextMessageBufferSize(1 << 20);
    c.setMaxSessionIdleTimeout(0L);
    return c;
  }
}

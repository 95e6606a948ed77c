package io.keelson.apiserver.streaming;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.ServletWebSocketHandlerRegistry;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;
import org.springframework.web.socket.server.standard.ServletServerContainerFactoryBean;

/**
 * Registers the WebSocket endpoints of pods (exec). Their mapping is ordered before the generic
 * {@code /api/v1/**} controller so that the upgrade requests reach the WebSocket handler.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class StreamingConfig implements WebSocketConfigurer {
  private final ExecWebSocketHandler exec;

  public StreamingConfig(ExecWebSocketHandler exec) {
    this.exec = exec;
  }

  @Override
  public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
    registry.addHandler(exec, "/api/v1/namespaces/*/pods/*/exec").setAllowedOriginPatterns("*");
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

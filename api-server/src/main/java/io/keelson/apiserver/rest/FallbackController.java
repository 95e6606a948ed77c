package io.keelson.apiserver.rest;

import io.keelson.apiserver.status.StatusException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/** Unknown paths and framework-level errors still answer with a Kubernetes Status, never an HTML page or trace. */
@RestControllerAdvice
@org.springframework.web.bind.annotation.RestController
public class FallbackController {

  private static final Logger log = LoggerFactory.getLogger(FallbackController.class);

  @RequestMapping("/**")
  public void notFound(HttpServletRequest req, HttpServletResponse resp) {
    Responses.status(resp, StatusException.notFound("the server could not find the requested resource"));
  }

  @ExceptionHandler(StatusException.class)
  public void status(StatusException e, HttpServletResponse resp) {
    Responses.status(resp, e);
  }

  @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
  public void method(HttpServletResponse resp) {
    Responses.status(resp, StatusException.methodNotAllowed("the server does not allow this method on the requested resource"));
  }

  @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
  public void media(HttpMediaTypeNotSupportedException e, HttpServletResponse resp) {
    Responses.status(resp, StatusException.unsupportedMediaType(String.valueOf(e.getContentType())));
  }

  @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
  public void acceptable(HttpServletResponse resp) {
    Responses.status(resp, StatusException.notAcceptable("only application/json responses are served"));
  }

  @ExceptionHandler(NoResourceFoundException.class)
  public void noResource(HttpServletResponse resp) {
    Responses.status(resp, StatusException.notFound("the server could not find the requested resource"));
  }

  @ExceptionHandler(Exception.class)
  public void other(Exception e, HttpServletRequest req, HttpServletResponse resp) {
    log.error("unhandled error on {} {}", req.getMethod(), req.getRequestURI(), e);
    Responses.status(resp, StatusException.internal("an internal error occurred; see the api-server log"));
  }
}

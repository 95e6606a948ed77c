package io.keelson.apiserver.openapi;

import io.keelson.apiserver.status.StatusException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves {@code /openapi/v3} (index and per-group/version documents). {@code /openapi/v2} is only
 * asked for by kubectl's client-side validation of {@code kind: List} files (the v3 field-validation
 * check never covers v1 List): it gets an empty protobuf Swagger 2.0 document, so kubectl skips
 * client-side checks of the items and the server validates each of them; anything else gets 404. Documents are served
 * gzipped when the client accepts it (they are hundreds of KiB), and are immutable per hash.
 */
@RestController
public class OpenApiController {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Generates the documents in the background once the server is up, so no client waits for it. */
  @EventListener(ApplicationReadyEvent.class)
  public void warmUp() {
    Thread.ofVirtual().name("openapi-warmup").start(OpenApiDocuments::get);
  }

  @GetMapping("/openapi/v3")
  public ResponseEntity<byte[]> index(@RequestHeader(value = HttpHeaders.ACCEPT_ENCODING, required = false) String enc,
      @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String etag) {
    return serve(OpenApiDocuments.currentIndex(), enc, etag, false);
  }

  @GetMapping("/openapi/v3/api/{version}")
  public ResponseEntity<byte[]> core(@PathVariable String version,
      @RequestParam(value = "hash", required = false) String hash,
      @RequestHeader(value = HttpHeaders.ACCEPT_ENCODING, required = false) String enc,
      @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String etag) {
    return serve(OpenApiDocuments.currentDocument("api/" + version), hash, enc, etag);
  }

  @GetMapping("/openapi/v3/apis/{group}/{version}")
  public ResponseEntity<byte[]> group(@PathVariable String group, @PathVariable String version,
      @RequestParam(value = "hash", required = false) String hash,
      @RequestHeader(value = HttpHeaders.ACCEPT_ENCODING, required = false) String enc,
      @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String etag) {
    return serve(OpenApiDocuments.currentDocument("apis/" + group + "/" + version), hash, enc, etag);
  }

  /** gnostic's OpenAPIv2 Document with only {@code swagger: "2.0"} (field 1), protobuf-encoded. */
  private static final byte[] EMPTY_V2 = {0x0a, 0x03, '2', '.', '0'};

  @GetMapping({"/openapi/v2", "/swagger.json"})
  public ResponseEntity<byte[]> v2(@org.springframework.web.bind.annotation.RequestHeader(value = "Accept", required = false) String accept) {
    if (accept != null && accept.contains("application/com.github.proto-openapi.spec.v2")) {
      return ResponseEntity.ok()
          .contentType(org.springframework.http.MediaType.parseMediaType("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"))
          .body(EMPTY_V2);
    }
    return notFound();
  }

  private static ResponseEntity<byte[]> serve(Optional<OpenApiDocuments.Document> doc, String hash, String enc,
      String etag) {
    if (doc.isEmpty()) return notFound();
    // With the current hash the document can be cached forever; a stale hash is answered with the current one.
    boolean immutable = hash != null && hash.equals(doc.get().hash());
    return serve(doc.get(), enc, etag, immutable);
  }

  private static ResponseEntity<byte[]> serve(OpenApiDocuments.Document doc, String enc, String ifNoneMatch,
      boolean immutable) {
    String etag = "\"" + doc.hash() + "\"";
    String cacheControl = immutable ? "public, immutable" : "no-cache, private";
    if (etag.equals(ifNoneMatch)) {
      return ResponseEntity.status(304).header(HttpHeaders.ETAG, etag).header(HttpHeaders.CACHE_CONTROL, cacheControl)
          .build();
    }
    boolean gzip = enc != null && enc.toLowerCase(java.util.Locale.ROOT).contains("gzip");
    ResponseEntity.BodyBuilder b = ResponseEntity.ok()
        .header(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE)
        .header(HttpHeaders.ETAG, etag)
        .header(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING)
        .header(HttpHeaders.CACHE_CONTROL, cacheControl);
    if (gzip) {
      return b.header(HttpHeaders.CONTENT_ENCODING, "gzip").body(doc.gzip());
    }
    return b.body(doc.json());
  }

  private static ResponseEntity<byte[]> notFound() {
    StatusException e = StatusException.notFound("the server could not find the requested resource");
    return ResponseEntity.status(404).header(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE)
        .body(JSON.writeValueAsString(e.toStatus()).getBytes(StandardCharsets.UTF_8));
  }
}

/* /api: Swagger UI (vendored in static/vendor/swagger-ui/) over this server's /api/openapi.json. An external
   script: the page's CSP allows no inline script. The online validator badge is off (it calls
   validator.swagger.io): the page talks to its own server only. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof SwaggerUIBundle === "undefined") {
    return;
  }
  window.senateKgSwaggerUi = SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    validatorUrl: null,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
  });
})();

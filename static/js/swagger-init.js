// Starts Swagger UI on /api/docs/ (templates/drf_spectacular/swagger_ui.html), in place of
// drf-spectacular's inline script: the Content-Security-Policy runs no inline script.
"use strict";

(function () {
  const root = document.getElementById("swagger-ui");
  const settings = JSON.parse(root.dataset.settings || "{}");

  // Requests that change something carry the CSRF token, as drf-spectacular's page does.
  const requestInterceptor = (request) => {
    if (!["GET", undefined].includes(request.method) && request.credentials === "same-origin") {
      request.headers[root.dataset.csrfHeader] = root.dataset.csrfToken;
    }
    return request;
  };

  window.ui = SwaggerUIBundle({
    url: root.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor,
    ...settings,
  });
})();

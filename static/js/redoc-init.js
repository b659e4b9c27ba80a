// Starts Redoc on /api/docs/redoc/ (templates/drf_spectacular/redoc.html), in place of
// drf-spectacular's inline script: the Content-Security-Policy runs no inline script.
"use strict";

(function () {
  const root = document.getElementById("redoc-container");
  const settings = JSON.parse(root.dataset.settings || "{}");
  // Redoc inserts its styles as <style> elements: it gives them this script's nonce, which the
  // page's policy allows for styles.
  settings.nonce = document.currentScript.nonce;

  // Redoc's sidebar shows Redocly's logo from Redocly's CDN, and no option turns it off; the
  // policy allows no other origin, so the logo comes from here (an empty image) instead.
  const outside = "https://cdn.redoc.ly/";
  const empty = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
  const local = (value) => (String(value).startsWith(outside) ? empty : value);
  const setAttribute = Element.prototype.setAttribute;
  HTMLImageElement.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, name === "src" ? local(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      src.set.call(this, local(value));
    },
  });

  Redoc.init(root.dataset.schemaUrl, settings, root);
})();

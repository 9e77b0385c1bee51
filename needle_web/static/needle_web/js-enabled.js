// Marks the page as scripted before it paints, so GOV.UK Frontend's JavaScript-only
// styles apply without a flash. A file, not an inline script, so that a strict
// Content-Security-Policy (script-src 'self') needs no nonce.
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");

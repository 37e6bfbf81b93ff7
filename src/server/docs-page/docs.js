// Starts swagger-ui on /docs. A file of its own because the page's Content-Security-Policy
// allows no inline script. Nothing here may reach beyond the server that served the page.
(function start() {
  var root = document.getElementById('swagger-ui');
  var SwaggerUIBundle = window.SwaggerUIBundle;
  if (!root || !SwaggerUIBundle) return;
  window.ui = SwaggerUIBundle({
    url: new URL(root.getAttribute('data-openapi') || 'openapi.json', document.baseURI).href,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // swagger-ui would otherwise send the document to validator.swagger.io for a badge.
    validatorUrl: null,
    // No ?url= or ?configUrl= from the address bar: the page shows this server's document only.
    queryConfigEnabled: false,
    // Deep links put a link inside each operation's expand button: a control inside a control,
    // which screen readers announce badly (axe: nested-interactive).
    deepLinking: false,
    // The default theme ("agate") colours numbers at 3.5:1 on its background; every colour
    // "arta" gives JSON is above 4.5:1.
    syntaxHighlight: { activated: true, theme: 'arta' },
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayOperationId: true,
    displayRequestDuration: true,
    // Keys typed into "Authorize" live in this tab's memory only, never in storage.
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
  nameUnnamedControls(root);
})();

/**
 * swagger-ui leaves a few controls without a name a screen reader can say: the selects of
 * enum parameters and of body examples, the dialog's close button, the scrollable code blocks
 * (which keyboard users cannot reach), and buttons whose aria-label omits their visible text.
 * Names them as swagger-ui renders them; it only adds attributes, so React's own stay intact.
 */
function nameUnnamedControls(root) {
  var fix = function () {
    root.querySelectorAll('select:not([aria-label])').forEach(function (select) {
      var row = select.closest('tr[data-param-name]');
      if (row) select.setAttribute('aria-label', row.getAttribute('data-param-name') + ' (' + row.getAttribute('data-param-in') + ')');
      else if (select.classList.contains('examples-select-element')) select.setAttribute('aria-label', 'Example');
    });
    root.querySelectorAll('button.close-modal:not([aria-label])').forEach(function (button) {
      button.setAttribute('aria-label', 'Close');
    });
    root.querySelectorAll('.highlight-code > pre:not([tabindex])').forEach(function (pre) {
      pre.setAttribute('tabindex', '0');
    });
    root.querySelectorAll('button[aria-label]').forEach(function (button) {
      var text = button.textContent.trim();
      var label = button.getAttribute('aria-label');
      if (text && label.toLowerCase().indexOf(text.toLowerCase()) < 0) button.setAttribute('aria-label', text + ': ' + label.toLowerCase());
    });
  };
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
}

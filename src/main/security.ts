// The renderer's Content-Security-Policy, used by the Electron window (response headers and the
// meta tag in index.html) and by the browser-mode bridge. No inline or eval'd script anywhere;
// connections only to the app itself.
/** Cytoscape inserts exactly this stylesheet into <head>; it is allowed by its hash, nothing else inline. */
export const CYTOSCAPE_STYLESHEET = '.__________cytoscape_container { position: relative; }';
export const CYTOSCAPE_STYLESHEET_HASH = 'sha256-pgvDUBa4IjFA2yuSJ2cqcyxmNYJMborsd0ORcRv9vw8=';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' '${CYTOSCAPE_STYLESHEET_HASH}'`,
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

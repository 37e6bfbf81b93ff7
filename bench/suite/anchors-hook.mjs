// Module resolution hook (plain JavaScript: it runs on Node's loader thread).
// Resolves the benchmark's anchor packages as if imported from bench/package.json,
// so sessiondb's sources, the raw floors and ADK all load the one pinned copy in
// bench/node_modules instead of whatever the project root has installed.
let benchPackageUrl = '';
let anchors = [];

export function initialize(data) {
  benchPackageUrl = data.benchPackageUrl;
  anchors = data.anchors;
}

export async function resolve(specifier, context, nextResolve) {
  const isAnchor = anchors.some((name) => specifier === name || specifier.startsWith(`${name}/`));
  if (isAnchor && context.parentURL && !context.parentURL.includes('/bench/node_modules/')) {
    return nextResolve(specifier, { ...context, parentURL: benchPackageUrl });
  }
  return nextResolve(specifier, context);
}

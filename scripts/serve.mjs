// Static server for the page: project files under web/, pkg/ and fixtures/ on 127.0.0.1 only,
// with the right MIME types (application/wasm) and the page's Content-Security-Policy.
// Usage: node scripts/serve.mjs [--port 8080]   (prints the URL; --port 0 picks a free one)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const served = ['web', 'pkg', 'fixtures'];
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ts': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8',
};
// The page's policy: its own scripts only, wasm compilation allowed, no inline script or eval,
// network only to its own origin and to the http(s) URLs the user gives (presigned S3 URLs).
export const CSP = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "worker-src 'self'", "style-src 'self'",
  "img-src 'self' data: blob:", "connect-src 'self' https: http:", "object-src 'none'", "base-uri 'none'",
  "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

export function startServer(port = 8080) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let path = decodeURIComponent(url.pathname);
    if (path === '/' || path === '/web') { res.writeHead(302, { Location: '/web/' }); return res.end(); }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    const top = file.slice(root.length + 1).split(sep)[0];
    if (!file.startsWith(root + sep) || !served.includes(top)) { res.writeHead(404); return res.end('not found'); }
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': types[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache',
        'Referrer-Policy': 'no-referrer',
      });
      res.end(body);
    } catch {
      res.writeHead(404); res.end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const server = await startServer(i > 0 ? Number(process.argv[i + 1]) : 8080);
  console.log(`stedi-lake page: http://127.0.0.1:${server.address().port}/web/`);
}

// Serves the built dashboard (dist/) on 127.0.0.1 only: a small static file
// server, so that serving needs no package beyond the build's.
//   node lib/serve.js [dir] [port]     (port 0: any free port; the URL is printed)
import {createServer} from "node:http";
import {readFile} from "node:fs/promises";
import {extname, join, normalize, resolve} from "node:path";

const root = resolve(process.argv[2] ?? "dist");
const port = Number(process.argv[3] ?? 3000);
const types = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"};

const server = createServer(async (req, res) => {
  let path = decodeURIComponent(new URL(req.url, "http://127.0.0.1").pathname);
  if (path.endsWith("/")) path += "index.html";
  const file = normalize(join(root, path));
  if (!file.startsWith(root)) return void res.writeHead(403).end();
  for (const candidate of [file, file + ".html"]) {
    try {
      const body = await readFile(candidate);
      res.writeHead(200, {"content-type": types[extname(candidate)] ?? "application/octet-stream"});
      return void res.end(body);
    } catch {}
  }
  res.writeHead(404, {"content-type": "text/plain"}).end("not found\n");
});
server.listen(port, "127.0.0.1", () => {
  console.log(`dashboard: http://127.0.0.1:${server.address().port}/`);
});

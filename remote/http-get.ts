// A minimal GET with a hard deadline. node:http rather than fetch: Node 20's fetch can leave a
// promise pending forever (and let the process exit) when a port is accepted by docker-proxy but
// nothing answers behind it.
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

const MAX_BODY = 64 * 1024;

export async function httpGet(url: string, timeoutMs: number): Promise<HttpAnswer> {
  // https (and TLS with it) loads only for https URLs: most smoke URLs are plain http on localhost.
  const lib = url.startsWith('https:') ? (await import('node:https')).default : http;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    // agent: false: a connection per probe, closed after it; a pooled keep-alive one could hold the
    // process open after the run until the app closes it.
    const req = lib.get(url, { agent: false, headers: { 'user-agent': 'seisei-deploy-smoke' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

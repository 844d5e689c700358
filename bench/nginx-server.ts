import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { startChild, type Child } from './children.js';

/** Debian's nginx; the reference row is left out where it is not installed. */
const NGINX = '/usr/sbin/nginx';

export function nginxInstalled(): boolean {
  return existsSync(NGINX);
}

/**
 * nginx serving the same photo file at every path (it is sent the bridge's own request),
 * as the C reference issue 8 names: one process (no
 * master, one worker's work — the bridge is one Node process too), keep-alive without a
 * request limit (autocannon would otherwise reconnect every 1,000 requests), and an
 * access log buffered the way the bridge's is: 64 KiB, to /dev/null like the bridge's
 * stdout here, so both format every line and neither waits on a disk.
 */
export function startNginx(dir: string, photoPath: string, port: number): Child {
  const home = join(dir, 'nginx');
  mkdirSync(home, { recursive: true });
  const configPath = join(home, 'nginx.conf');
  writeFileSync(
    configPath,
    `daemon off;
master_process off;
worker_processes 1;
error_log ${home}/error.log warn;
pid ${home}/nginx.pid;
events { worker_connections 1024; }
http {
  client_body_temp_path ${home}/body;
  proxy_temp_path ${home}/proxy;
  fastcgi_temp_path ${home}/fastcgi;
  uwsgi_temp_path ${home}/uwsgi;
  scgi_temp_path ${home}/scgi;
  access_log /dev/null combined buffer=64k flush=1s;
  keepalive_requests 1000000;
  sendfile on;
  open_file_cache max=16;
  types { image/jpeg jpg; }
  server {
    listen 127.0.0.1:${port};
    root ${dirname(photoPath)};
    location / { try_files /${basename(photoPath)} =404; }
  }
}
`,
  );
  return startChild('nginx', ['-p', home, '-c', configPath], process.env, NGINX);
}

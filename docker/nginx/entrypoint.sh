#!/bin/sh
# Writes nginx's configuration from the environment, then runs nginx in the foreground (non-root):
#   NGINX_LISTEN      address:port nginx listens on (loopback in compose.yaml)
#   TOMTAT_UPSTREAMS  the tomtat replicas, "host:port host:port …" (one server line each)
# Each request goes to the replica with the fewest open requests; a replica that refuses connections
# is skipped for 5 s. POSTs are never sent twice (nginx retries only requests not yet sent).
set -eu
conf=/tmp/nginx/nginx.conf
mkdir -p /tmp/nginx
servers=""
for upstream in $TOMTAT_UPSTREAMS; do
    servers="$servers        server $upstream max_fails=1 fail_timeout=5s;
"
done
[ -n "$servers" ] || { echo "tomtat-nginx: TOMTAT_UPSTREAMS names no replica" >&2; exit 1; }
cat > "$conf" <<CONF
worker_processes auto;
pid /tmp/nginx/nginx.pid;
error_log /dev/stderr notice;
events { worker_connections 1024; }
http {
    # which replica answered each request: upstream=…
    log_format tomtat '\$remote_addr "\$request" \$status \$body_bytes_sent \${request_time}s upstream=\$upstream_addr';
    access_log /dev/stdout tomtat;
    client_body_temp_path /tmp/nginx/body;
    proxy_temp_path /tmp/nginx/proxy;
    fastcgi_temp_path /tmp/nginx/fastcgi;
    uwsgi_temp_path /tmp/nginx/uwsgi;
    scgi_temp_path /tmp/nginx/scgi;
    client_max_body_size 256m;   # TOMTAT_MAX_JOB_BYTES' default: whole job bodies pass
    upstream tomtat {
        least_conn;
$servers        keepalive 16;
    }
    server {
        listen $NGINX_LISTEN;
        location = /nginx-healthz { access_log off; return 200 "ok\n"; }
        location / {
            proxy_pass http://tomtat;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;   # TOMTAT_TRUSTED_PROXIES=1
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_read_timeout 330s;   # TOMTAT_TIMEOUT (300 s) and a margin
            proxy_buffering off;       # job results stream as they are read
        }
    }
}
CONF
exec nginx -c "$conf" -g "daemon off;"

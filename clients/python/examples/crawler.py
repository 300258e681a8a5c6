"""A crawler whose page fetches run as parallel jobs, over a small site this script serves itself.

Jobs have no network unless the executor's administrator grants it, and a job must ask: these jobs
carry the label network=host, which the executor must allow (off by default):

    JOBGATE_ALLOW_NETWORK_LABELS=network=host scripts/quickstart.sh    # or --allow-network-labels
    export JOBGATE_URL=http://127.0.0.1:8080 JOBGATE_TOKEN=<client token it printed>
    /usr/bin/python3 clients/python/examples/crawler.py [--pages 40]

The site (on 127.0.0.1, a free port) is a few dozen generated pages linking to each other. The crawl
goes breadth first: every page of the frontier is fetched by its own job (one map per level), each job
returns the page's title and links, and the client decides what to fetch next. Without the grant the
first fetch ends with jobgate.ForbiddenSyscall (the sandbox killed socket()), and the script says so.
"""
from __future__ import annotations

import argparse
import http.server
import random
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the SDK, when not installed
import jobgate  # noqa: E402

NETWORK = {"labels": {"network": "host"}}


def fetch(url: str) -> tuple[str, str, list]:
    """Runs in a job: fetch one page, return (url, title, links)."""
    import re
    import urllib.parse
    import urllib.request
    with urllib.request.urlopen(url, timeout=10) as r:
        html = r.read().decode("utf-8", "replace")
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    links = [urllib.parse.urljoin(url, href) for href in re.findall(r'href="([^"#]+)"', html)]
    return url, title.group(1).strip() if title else "", links


def serve_site(pages: int, seed: int = 7) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A small site: /, /page/<n> for n < pages, each page linking to the next and a few others."""
    rng = random.Random(seed)
    links = {n: sorted({(n + 1) % pages, *rng.sample(range(pages), min(3, pages))}) for n in range(pages)}

    class Site(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/":
                body = "<title>home</title>" + "".join('<a href="/page/%d">%d</a>' % (n, n) for n in range(3))
            elif self.path.startswith("/page/") and self.path[6:].isdigit() and int(self.path[6:]) < pages:
                n = int(self.path[6:])
                body = "<title>page %d</title>" % n + "".join('<a href="/page/%d">p%d</a>' % (k, k) for k in links[n])
            else:
                self.send_error(404)
                return
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d/" % server.server_address[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=40)
    a = ap.parse_args()
    server, root = serve_site(a.pages)
    client = jobgate.Client()
    seen, frontier, titles, level = {root}, [root], {}, 0
    t0 = time.perf_counter()
    try:
        while frontier:
            try:
                results = list(client.map(fetch, frontier, options=NETWORK, timeout=300))
            except jobgate.ForbiddenSyscall:
                print("the executor does not give these jobs the network: start it with "
                      "--allow-network-labels network=host (JOBGATE_ALLOW_NETWORK_LABELS=network=host)",
                      file=sys.stderr)
                return 2
            print("level %d: %d page(s) fetched in parallel jobs" % (level, len(results)))
            frontier = []
            for url, title, links in results:
                titles[url] = title
                for link in links:
                    if link.startswith(root) and link not in seen:
                        seen.add(link)
                        frontier.append(link)
            level += 1
    finally:
        server.shutdown()
        client.close()
    print("crawled %d pages in %d levels in %.2f s; e.g. %s" % (
        len(titles), level, time.perf_counter() - t0, ", ".join(sorted(titles.values())[:4])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The baseline for bench_replicas, as a process of its own: a bare Bolt app that only acks
(bench_events' `bare_bolt_app`), served by the same waitress loop as `servicebot serve --http`
(`serve_wsgi`, its threads and connection limit), on a free loopback port it prints as
``listening on 127.0.0.1:PORT``.

    python -m bench.bare_app API_URL
"""

from __future__ import annotations

import logging
import sys

from bench.bench_events import bare_bolt_app
from servicebot.runtime.serving import Stop, serve_wsgi, stop_on_signals


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.bare_app API_URL", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # Quiet, as `serve --http` is (servicebot.logs holds waitress.queue at ERROR).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = bare_bolt_app(argv[0])

    def listening(host: str, port: int) -> None:
        print(f"listening on {host}:{port}", file=sys.stderr, flush=True)

    with stop_on_signals(Stop()) as stop:
        serve_wsgi(app, "127.0.0.1", 0, stop, on_listening=listening)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

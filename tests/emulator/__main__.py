"""CLI: python -m tests.emulator --host 127.0.0.1 --port 0 --sdkappid 1400000000 --secret-key KEY [...]

Prints exactly one line on stdout (the base URL) as soon as it listens; everything else goes to
stderr.  SIGTERM / SIGINT stop it cleanly (state saved when --state-file is set).
"""

import argparse
import signal
import sys
import threading

from .server import Emulator, make_server


def _error_rate(text):
    try:
        code, rate = text.split(":", 1)
        code_i, rate_f = int(code), float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError("expected CODE:RATE, e.g. 10002:0.3")
    if not 0 <= rate_f <= 1:
        raise argparse.ArgumentTypeError("RATE must be within [0, 1]")
    return code_i, rate_f


def _command_rate_limit(text):
    try:
        key, limit = text.rsplit("=", 1)
        limit_f = float(limit)
    except ValueError:
        raise argparse.ArgumentTypeError("expected SERVICE/COMMAND=N, e.g. group_open_http_svc/get_appid_group_list=50")
    if "/" not in key or limit_f < 0:
        raise argparse.ArgumentTypeError("expected SERVICE/COMMAND=N with N >= 0")
    return key, limit_f


def build_parser():
    p = argparse.ArgumentParser(prog="python -m tests.emulator",
                                description="Tencent Cloud Chat (TIM) REST API emulator (communities, topics, "
                                            "accounts).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--sdkappid", type=int, default=1400000000)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--admin", action="append", default=None,
                   help="app admin account allowed as identifier (repeatable; default administrator)")
    p.add_argument("--state-file", default=None)
    p.add_argument("--rate-limit", type=float, default=200.0,
                   help="calls/s per API command whose page gives no other limit; 0 = off")
    p.add_argument("--command-rate-limit", type=_command_rate_limit, action="append", default=[],
                   metavar="SERVICE/COMMAND=N",
                   help="calls/s for one command, over its page's own limit (e.g. get_appid_group_list's 1/s)")
    p.add_argument("--strict", action="store_true",
                   help="refuse request fields the API page does not document, and null values (10004)")
    p.add_argument("--require-accounts", action="store_true",
                   help="create_group's Owner_Account must be an imported account (or an --admin)")
    p.add_argument("--app-defined-key", action="append", default=[], metavar="KEY",
                   help="group custom field declared in the console (repeatable, at most 10)")
    p.add_argument("--app-member-defined-key", action="append", default=[], metavar="KEY",
                   help="group member custom field declared in the console (repeatable, at most 5)")
    p.add_argument("--callback-url", default=None)
    p.add_argument("--callback-token", default=None)
    p.add_argument("--callback-timeout", type=float, default=2.0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--latency-spike-ms", type=float, default=0.0)
    p.add_argument("--latency-spike-rate", type=float, default=0.0)
    p.add_argument("--error-rate", type=_error_rate, action="append", default=[],
                   metavar="CODE:RATE")
    p.add_argument("--http-502-rate", type=float, default=0.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    p.add_argument("--verbose", action="store_true", help="one line per request on stderr")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.stderr.write("--tls-cert and --tls-key go together\n")
        return 2
    config = {
        "latency_ms": args.latency_ms, "latency_spike_ms": args.latency_spike_ms,
        "latency_spike_rate": args.latency_spike_rate,
        "error_rates": dict((str(c), r) for c, r in args.error_rate),
        "http_502_rate": args.http_502_rate, "drop_rate": args.drop_rate,
        "rate_limit": args.rate_limit, "callback_url": args.callback_url,
        "callback_token": args.callback_token, "callback_timeout": args.callback_timeout,
        "seed": args.seed,
        "command_rate_limits": dict(args.command_rate_limit),
        "strict": args.strict, "require_accounts": args.require_accounts,
        "app_defined_keys": args.app_defined_key, "app_member_defined_keys": args.app_member_defined_key,
    }
    try:
        app = Emulator(args.sdkappid, args.secret_key, admins=args.admin or ["administrator"],
                       state_file=args.state_file, verbose=args.verbose, **config)
        server, url = make_server(args.host, args.port, app, args.tls_cert, args.tls_key)
    except Exception as exc:
        sys.stderr.write("emulator: cannot start: %s\n" % exc)
        return 1

    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="emulator-serve", daemon=True)
    thread.start()
    sys.stdout.write(url + "\n")
    sys.stdout.flush()
    sys.stderr.write("emulator: listening on %s (sdkappid %d, admins %s)\n"
                     % (url, app.sdkappid, ",".join(app.admins)))
    sys.stderr.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    app.callbacks.flush(1.0)
    app.callbacks.stop()
    try:
        app.state.save()
    except OSError as exc:
        sys.stderr.write("emulator: cannot save state: %s\n" % exc)
        return 1
    sys.stderr.write("emulator: stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

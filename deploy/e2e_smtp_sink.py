#!/usr/bin/env python3
"""An SMTP sink for deploy/e2e-prometheus.sh: accepts every message, stores it.

    e2e_smtp_sink.py HOST:PORT OUT_FILE

Speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no
TLS, no AUTH) for Alertmanager's e-mail receiver, and appends each message
to OUT_FILE followed by a line "-- end of message --". Test use only.
"""
import socketserver
import sys


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        self.reply("220 e2e-smtp-sink ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            verb = raw.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.reply("250-e2e-smtp-sink")
                self.reply("250 8BITMIME")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line.decode(errors="replace"))
                with open(self.server.out, "a", encoding="utf-8") as f:
                    f.write("".join(lines) + "\n-- end of message --\n")
                self.reply("250 OK stored")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


def main(listen, out):
    host, _, port = listen.rpartition(":")
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer((host, int(port)), Handler)
    srv.out = out
    srv.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: e2e_smtp_sink.py HOST:PORT OUT_FILE")
    main(sys.argv[1], sys.argv[2])

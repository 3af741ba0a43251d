#!/usr/bin/env python3
"""A minimal fake Telegram Bot API on 127.0.0.1 for measuring hitbot while it serves (README,
"Performance"): it hands out MESSAGES text messages from CHATS private chats through getUpdates,
accepts every sendMessage, and prints how many replies came back and how fast. Messages arrive at --rate
per second (0: all at once). Standard library only.

    python3 benches/fake_bot_api.py --port 8081 --messages 6000 --chats 1000 --rate 100 &
    TELOXIDE_TOKEN=1:fake TELOXIDE_API_URL=http://127.0.0.1:8081 HITBOT_CONFIG=/tmp/bench.toml \
        target/release/hitbot telegram

(with `[telegram] throttle = false` in the config, or Telegram's rate limits pace the replies).
It stops by itself when every message is answered or after --seconds.
"""

import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The benchmark questions, shared with `hitbot bench` and `cargo bench`, plus a follow-up.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "questions.txt"), encoding="utf-8") as f:
    QUESTIONS = [line.strip() for line in f if line.strip()] + ["and their salary?"]

BOT = {"id": 4242, "is_bot": True, "first_name": "HIT bot", "username": "hit_test_bot"}


class State:
    def __init__(self, messages, chats, rate):
        self.lock = threading.Lock()
        self.start = time.time()
        self.rate = rate
        self.pending = []
        self.next_update = 1
        self.replies = 0
        self.first_reply = None
        self.last_reply = None
        for i in range(messages):
            chat = 1 + i % chats
            text = QUESTIONS[i % len(QUESTIONS)]
            self.pending.append(
                {
                    "update_id": self.next_update,
                    "message": {
                        "message_id": i + 1,
                        "date": int(time.time()),
                        "chat": {"id": chat, "type": "private", "first_name": "Tester"},
                        "from": {"id": chat, "is_bot": False, "first_name": "Tester"},
                        "text": text,
                    },
                }
            )
            self.next_update += 1
        self.total = messages


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, result):
            body = json.dumps({"ok": True, "result": result}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                params = json.loads(raw or b"{}")
            except ValueError:
                params = {}
            method = self.path.rsplit("/", 1)[-1].lower()
            if method == "getme":
                me = dict(BOT, can_join_groups=True, can_read_all_group_messages=False,
                          supports_inline_queries=True, can_connect_to_business=False,
                          has_main_web_app=False)
                return self.reply(me)
            if method == "getupdates":
                offset = params.get("offset") or 0
                with state.lock:
                    state.pending = [u for u in state.pending if u["update_id"] >= offset]
                    limit = int(params.get("limit") or 100)
                    if state.rate > 0:
                        # Only the updates that have "arrived" by now.
                        arrived = int((time.time() - state.start) * state.rate) + 1
                        limit = min(limit, max(0, arrived - (state.pending[0]["update_id"] if state.pending else arrived) + 1))
                    batch = state.pending[:limit]
                if not batch:
                    time.sleep(0.05 if state.rate > 0 else 0.2)
                return self.reply(batch)
            if method == "sendmessage":
                now = time.time()
                with state.lock:
                    state.replies += 1
                    state.first_reply = state.first_reply or now
                    state.last_reply = now
                    n = state.replies
                chat = params.get("chat_id", 1)
                return self.reply(
                    {
                        "message_id": 100000 + n,
                        "date": int(now),
                        "chat": {"id": chat, "type": "private", "first_name": "Tester"},
                        "from": BOT,
                        "text": "ok",
                    }
                )
            return self.reply(True)

        do_GET = do_POST

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--chats", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--seconds", type=float, default=300)
    args = ap.parse_args()
    state = State(args.messages, args.chats, args.rate)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    deadline = time.time() + args.seconds
    while time.time() < deadline:
        time.sleep(0.5)
        with state.lock:
            if state.replies >= state.total:
                break
    with state.lock:
        took = (state.last_reply or 0) - (state.first_reply or 0)
        rate = state.replies / took if took > 0 else 0
        print(f"{state.replies} replies to {state.total} messages; {rate:.0f} replies/s", flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()

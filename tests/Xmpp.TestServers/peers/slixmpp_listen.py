#!/usr/bin/env python3
"""Independent XMPP receiver for tests (slixmpp 1.8).

Logs in, sends presence, optionally joins MUC rooms, then prints one JSON line
per received message on stdout and {"event": "ready"} once everything is joined.
With --receipts it answers XEP-0184 receipt requests (slixmpp's xep_0184 plugin);
without, it never does. Subscription answers it receives are printed as events;
--subscribe JID sends a subscription request once ready. slixmpp approves
incoming subscription requests and subscribes back (its defaults).
The password is read from the environment (SLIXMPP_PEER_PASSWORD) so it never
shows up in a process listing.
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys

import slixmpp

XHTML_IM_NS = "http://jabber.org/protocol/xhtml-im"
XHTML_NS = "http://www.w3.org/1999/xhtml"
DELAY_NS = "urn:xmpp:delay"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Listener(slixmpp.ClientXMPP):
    def __init__(self, jid, password, rooms, nick, receipts=False, subscribe=()):
        super().__init__(jid, password)
        self.subscribe_to = list(subscribe)
        self.rooms = rooms
        self.nick = nick or self.boundjid.user
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0199")
        if receipts:
            self.register_plugin("xep_0184")
        for kind in ("subscribe", "subscribed", "unsubscribed"):
            self.add_event_handler("presence_" + kind, self.on_subscription_presence)
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("groupchat_message", self.on_groupchat)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.ready = False

    async def on_session_start(self, _event):
        self.send_presence()
        try:
            await self.get_roster(timeout=10)
        except Exception as exc:  # the roster is not essential to receiving
            emit({"event": "warning", "detail": "roster: %s" % exc})
        for room in self.rooms:
            await self.plugin["xep_0045"].join_muc_wait(
                slixmpp.JID(room), self.nick, maxstanzas=0, timeout=15)
            emit({"event": "joined", "room": room})
        for contact in self.subscribe_to:
            self.send_presence(pto=contact, ptype="subscribe")
        self.ready = True
        emit({"event": "ready", "jid": str(self.boundjid)})

    def on_subscription_presence(self, presence):
        emit({"event": "presence", "type": presence["type"], "from": str(presence["from"])})

    def on_failed_auth(self, _event):
        emit({"event": "error", "detail": "authentication failed"})
        sys.stderr.write("authentication failed\n")
        os._exit(3)

    def on_disconnected(self, reason):
        emit({"event": "disconnected", "detail": str(reason)})

    def on_message(self, msg):
        if msg.xml.find("{urn:xmpp:receipts}received") is not None:
            return  # a receipt, not a message
        if msg["type"] == "groupchat":
            return  # reported by on_groupchat
        self.report(msg)

    def on_groupchat(self, msg):
        self.report(msg)

    def report(self, msg):
        html = None
        xhtml = msg.xml.find("{%s}html" % XHTML_IM_NS)
        if xhtml is not None:
            body = xhtml.find("{%s}body" % XHTML_NS)
            if body is not None:
                html = slixmpp.xmlstream.tostring(body)
        delayed = msg.xml.find("{%s}delay" % DELAY_NS) is not None
        subject = msg.xml.find("{jabber:client}subject")
        body = msg.xml.find("{jabber:client}body")
        emit({
            "from": str(msg["from"]),
            "to": str(msg["to"]),
            "type": msg["type"],
            "id": msg["id"] or None,
            "subject": subject.text if subject is not None else None,
            "body": body.text if body is not None else None,
            "html": html,
            "delayed": delayed,
            "stanza": slixmpp.xmlstream.tostring(msg.xml),
        })


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jid", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", help="PEM file of the CA to trust; omit to skip verification")
    parser.add_argument("--direct-tls", action="store_true")
    parser.add_argument("--room", action="append", default=[])
    parser.add_argument("--nick")
    parser.add_argument("--receipts", action="store_true", help="answer XEP-0184 receipt requests")
    parser.add_argument("--subscribe", action="append", default=[], help="ask JID for a presence subscription")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args()

    logging.basicConfig(stream=sys.stderr,
                        level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s %(message)s")
    password = os.environ.get("SLIXMPP_PEER_PASSWORD", "")
    xmpp = Listener(args.jid, password, args.room, args.nick, args.receipts, args.subscribe)
    if args.ca:
        xmpp.ca_certs = args.ca
    else:
        xmpp.ssl_context.check_hostname = False
        xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    xmpp.connect(address=(args.host, args.port), use_ssl=args.direct_tls,
                 force_starttls=not args.direct_tls)
    loop = asyncio.get_event_loop()
    loop.run_until_complete(xmpp.disconnected)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints one line per TCP packet seen on a network device, for counting round trips:
   <unix time> <src ip> <src port> <dst ip> <dst port> <flags> <payload bytes>
Runs until stdin closes. Needs root (AF_PACKET). Used by XmppBench's rtt suite; no packet contents are kept."""
import select, socket, struct, sys, time

dev = sys.argv[1]
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
s.bind((dev, 0))
print("ready", flush=True)
while True:
    ready, _, _ = select.select([s, sys.stdin], [], [])
    if sys.stdin in ready and not sys.stdin.readline():
        break
    if s not in ready:
        continue
    packet = s.recv(65535)
    now = time.time()
    if len(packet) < 20 or packet[0] >> 4 != 4 or packet[9] != 6:
        continue
    ihl = (packet[0] & 15) * 4
    total = struct.unpack("!H", packet[2:4])[0]
    tcp = packet[ihl:]
    sport, dport = struct.unpack("!HH", tcp[0:4])
    offset = (tcp[12] >> 4) * 4
    flags = tcp[13]
    names = "".join(n for bit, n in ((2, "S"), (1, "F"), (4, "R"), (16, "A"), (8, "P")) if flags & bit)
    src = socket.inet_ntoa(packet[12:16])
    dst = socket.inet_ntoa(packet[16:20])
    print(f"{now:.6f} {src} {sport} {dst} {dport} {names} {total - ihl - offset}", flush=True)

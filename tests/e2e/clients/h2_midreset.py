"""Streams abandoned half way (python3-h2): usage h2_midreset.py ADDR PORT

On one h2c connection opens 40 streams: 20 POST /echo/mid announcing 300000 bytes and sending
only 1000, 20 GET /bytes/1048576; reads until 10 streams have had DATA (at most 2 s), then
resets every stream (RST_STREAM CANCEL) and closes the connection.  Exit 0 when that could be
done; the case checks that the gateway let go of everything (/stats back to baseline).
Last line: a summary.
"""

import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.settings


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    s = socket.create_connection((host, port), timeout=5)
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    s.sendall(c.data_to_send())
    ids = []
    for i in range(40):
        sid = c.get_next_available_stream_id()
        if i % 2 == 0:
            c.send_headers(sid, [(":method", "POST"), (":path", "/echo/mid"), (":scheme", "http"),
                                 (":authority", host), ("content-length", "300000")])
            c.send_data(sid, b"x" * 1000)
        else:
            c.send_headers(sid, [(":method", "GET"), (":path", "/bytes/1048576"),
                                 (":scheme", "http"), (":authority", host)], end_stream=True)
        ids.append(sid)
    s.sendall(c.data_to_send())
    t0, got = time.monotonic(), set()
    s.settimeout(0.2)
    while time.monotonic() - t0 < 2 and len(got) < 10:
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        if not d:
            print("the gateway closed the connection")
            return 1
        for ev in c.receive_data(d):
            if isinstance(ev, h2.events.DataReceived):
                got.add(ev.stream_id)
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        s.sendall(c.data_to_send())
    for sid in ids:
        try:
            c.reset_stream(sid, 8)
        except h2.exceptions.StreamClosedError:
            pass
    s.sendall(c.data_to_send())
    time.sleep(0.5)
    s.close()
    print(f"40 streams reset, {len(got)} of them after response DATA")
    return 0


if __name__ == "__main__":
    sys.exit(main())

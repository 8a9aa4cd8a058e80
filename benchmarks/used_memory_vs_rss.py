"""How close INFO's used_memory estimate is to the resident size, per dataset.

Values are distinct objects, as the protocol parser makes them. Each dataset is loaded into
a fresh in-process server (the real dispatcher, no sockets) in its own interpreter; the
growth of used_memory is compared with the growth of the RSS.
Run: `python benchmarks/used_memory_vs_rss.py` (docs/operators-guide.md quotes its output).
"""

from __future__ import annotations

import gc
import subprocess
import sys

DATASETS = {
    "strings": "200k keys, 100-byte values",
    "strings-ttl": "200k keys, 100-byte values, each with a TTL",
    "small-strings": "200k keys, integer values",
    "hashes": "2k hashes of 100 fields (10-byte values)",
    "lists": "2k lists of 200 10-byte elements",
    "sets": "2k sets of 200 members",
    "zsets": "2k sorted sets of 100 members",
}


def load(name: str) -> None:
    from ferrite_host.assembly import build_state
    from ferrite_host.core.memory_usage import process_rss, used_memory

    state = build_state()
    session = state.new_session()
    run = state.dispatcher.execute
    gc.collect()
    rss0, used0 = process_rss(), used_memory(state.keyspace)
    if name.startswith("strings") or name == "small-strings":
        for i in range(200_000):
            value = b"%d" % i if name == "small-strings" else b"%0100d" % i
            run(session, [b"SET", b"key:%08d" % i, value])
            if name == "strings-ttl":
                run(session, [b"EXPIRE", b"key:%08d" % i, b"100000"])
    else:
        for i in range(2000):
            key = b"%s:%06d" % (name.encode(), i)
            if name == "hashes":
                pairs = [part for f in range(100) for part in (b"field:%03d" % f, b"%010d" % f)]
                run(session, [b"HSET", key, *pairs])
            elif name == "lists":
                run(session, [b"RPUSH", key, *[b"%010d" % e for e in range(200)]])
            elif name == "sets":
                run(session, [b"SADD", key, *[b"member:%04d" % m for m in range(200)]])
            else:
                pairs = [part for m in range(100) for part in (b"%d" % m, b"member:%04d" % m)]
                run(session, [b"ZADD", key, *pairs])
    gc.collect()
    rss, used = process_rss() - rss0, used_memory(state.keyspace) - used0
    print(
        f"| {DATASETS[name]} | {used / 2**20:.1f} MiB | {rss / 2**20:.1f} MiB | {used / rss:.2f} |"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        load(sys.argv[1])
    else:
        print("| dataset | used_memory growth | RSS growth | ratio |")
        print("|---|---|---|---|")
        for dataset in DATASETS:
            subprocess.run([sys.executable, __file__, dataset], check=True)

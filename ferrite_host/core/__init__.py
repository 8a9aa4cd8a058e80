"""The core every other part builds on: command specs and the one command table, errors,
sessions, the server state, the dispatcher seam and the WATCH registry.

It imports only the keyspace, the protocol and strconv; it knows no command family,
persistence or module layer (the composition root, ferrite_host.assembly, wires them in).
"""

"""The network server, per-client sessions and the dispatcher seam."""

"""Geohash maths for the GEO commands, computed in the same double-precision steps as
Redis so scores, distances and search results match it exactly. Imports nothing else from
Ferrite."""

"""Pub/sub, keyspace notifications and client tracking: the subsystems that tell clients
about things (messages, key changes, invalidations) outside their own replies."""

from ferrite_host.pubsub.channels import PubSub, Subscriptions
from ferrite_host.pubsub.notifications import KeyspaceNotifier
from ferrite_host.pubsub.tracking import Tracking, TrackingOptions

__all__ = ["KeyspaceNotifier", "PubSub", "Subscriptions", "Tracking", "TrackingOptions"]

"""ACL users: who may run which commands on which keys and channels (Redis 7.0 rules)."""

from ferrite_host.commands.access.control import AccessControl
from ferrite_host.commands.access.user import AclRuleError, User

__all__ = ["AccessControl", "AclRuleError", "User"]

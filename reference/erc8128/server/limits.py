"""The demo server's bounds, in one place: what a page, a quota, a record or an invite may hold
(SPEC.md D35, D36). The handlers, the storage and the app import them from here."""

from typing import Final

# D35: refusals before verification go to a server-level ring of MAX_REFUSALS records (the
# project audit log, erc8128.server.storage, holds verified requests only).
MAX_REFUSALS: Final = 1000
# D35: a project keeps its latest AUDIT_RETAINED audit entries (older ones are pruned every
# AUDIT_PRUNE_EVERY inserts, so at most AUDIT_RETAINED + AUDIT_PRUNE_EVERY are kept).
AUDIT_RETAINED: Final = 10_000
AUDIT_PRUNE_EVERY: Final = 256
# D35: a page of the audit log has at most MAX_AUDIT_ENTRIES entries.
MAX_AUDIT_ENTRIES: Final = 1000

# D36: projects per owner; a page of the public list.
MAX_PROJECTS_PER_OWNER: Final = 100
MAX_PROJECTS_PAGE: Final = 1000
DEFAULT_PROJECTS_PAGE: Final = 100
# D36: expired invalidation denials are deleted at most every EVICT_EVERY_SEC seconds.
EVICT_EVERY_SEC: Final = 60

MAX_INVITE_USES: Final = 1_000_000
MAX_INVITE_SECONDS: Final = 30 * 24 * 3600
MAX_NAME_CHARS: Final = 100

"""Reads of read-mostly reporting tables on a replica, when there is one.

With `DATABASE_REPLICA_URL` set, settings add `DATABASES["replica"]` and install this router:
a model that declares `read_from_replica = True` (the KPI roll-ups) is read from the replica;
everything else, every write and every migration stays on the default database. Without the
variable neither the alias nor the router exists, so nothing changes.
"""

REPLICA = "replica"


def _reads_from_replica(model) -> bool:
    return bool(getattr(model, "read_from_replica", False))


class ReplicaRouter:
    """Send reads of `read_from_replica` models to the replica; all else to default."""

    def db_for_read(self, model, **hints):
        if _reads_from_replica(model):
            return REPLICA
        return None  # the next router, then default

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of default: an object read from either may point at the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica receives the schema by replication, never by `migrate`.
        return db != REPLICA

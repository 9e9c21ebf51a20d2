"""The append-only, hash-chained audit log that every state change writes to."""

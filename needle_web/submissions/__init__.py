"""The submissions app: a partner sends a file, a worker passes it to the core, and the
partner follows its progress and reads its validation report."""

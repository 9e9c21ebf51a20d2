"""Gunicorn settings for the reliability test: the real app (`wsgi:app`) and a fault trap.

The trap lives here, in test code, never in the app. When the test arms it (by creating
`<kind>.armed` in RELIABILITY_TRAP_DIR), the first worker whose transaction flushes a proposal
submission (kind `submission`) or an award notice (kind `notice`) claims it by renaming the file
to `<kind>.fired.<pid>.<id>` and then waits, between that flush and the commit, for the test to
SIGKILL it. The kill therefore lands in the middle of the request, with rows written but not
committed.
"""

import os
import time

workers = 3
timeout = 30
graceful_timeout = 5
# No control socket: its default path (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn
# the user runs, such as a development server or the benchmark.
control_socket_disable = True

# Model class name -> (trap kind, attribute naming what the transaction was writing).
_TRAPS = {
    "ProposalSubmission": ("submission", "proposal_id"),
    "AwardNotice": ("notice", "decision_id"),
}


def post_worker_init(worker):
    """Install the trap in each worker, after the app is loaded."""
    trap_dir = os.environ.get("RELIABILITY_TRAP_DIR")
    if not trap_dir:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    @event.listens_for(Session, "after_flush")
    def wait_to_be_killed(session, flush_context):
        for obj in list(session.new):
            kind, key = _TRAPS.get(type(obj).__name__, (None, None))
            if kind is None:
                continue
            armed = os.path.join(trap_dir, f"{kind}.armed")
            try:  # rename is atomic: exactly one worker claims an armed trap
                os.rename(
                    armed, os.path.join(trap_dir, f"{kind}.fired.{os.getpid()}.{getattr(obj, key)}")
                )
            except FileNotFoundError:
                continue
            time.sleep(timeout)  # the test kills us long before; gunicorn would, at worst

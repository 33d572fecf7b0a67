"""yoyo post-apply hook: re-applies every routine (functions/) and policy (policies/) file in
the fixed order of claw.routines, in one transaction, after each `claw migrate`."""

from yoyo import step

from claw.routines import apply_routines

step(apply_routines)

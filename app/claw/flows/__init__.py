"""Durable flows: the Python SDK over the flow schema (functions/flow/, functions/api/flow_*).

    from claw.flows import Flows, FlowContext
    flows = Flows()

    @flows.flow("order.fulfil", version=1)
    async def fulfil(ctx: FlowContext, order: dict) -> dict: ...

See claw.flows.runtime for how a run is replayed and checkpointed, and
claw.flows.http_providers for effect providers over HTTP.
"""

from claw.flows.runtime import (FlowContext, Flows, NonDeterminismError, Provider, RetryPolicy,
                                Suspend, current, input_hash, start_flow)

__all__ = ["FlowContext", "Flows", "NonDeterminismError", "Provider", "RetryPolicy", "Suspend",
           "current", "input_hash", "start_flow"]

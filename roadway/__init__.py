"""Roadway: a SageMaker model's road from a dev notebook to a monitored prod endpoint.

This package is what is installed: the contract every other part reads (``config``, ``naming``, ``images``;
they import nothing else of ours) and the operator's CLI (``cli``), which reads the contract and the promotion
function's own readers and never synthesizes. The CDK app lives in ``stacks``, the runtime in ``lambdas`` and
``model_code``, the development tools in ``devtools``.
"""

"""The plan contract, shipped with the package: ``plan.schema.json``.

The JSON Schema (2020-12) of the plan every entry point writes: ``routeplanner
plan --json``, the API's plans, :func:`routeplanner.io.plan_to_dict`.  It is
the same file, byte for byte, as the project's shared contract
(``shared/contracts/plan.schema.json``), so a checkout, a wheel and the tests
do not need the shared folder; ``tests/test_contract.py`` keeps the two equal.
"""

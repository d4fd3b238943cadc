"""The rule packs Roadway answers to, by the names their findings carry; CDK-free for the report and the CLI."""

RULE_PACKS: tuple[str, ...] = ("AwsSolutions", "NIST.800.53.R5", "HIPAA.Security", "Roadway")

"""The road between accounts: registries, approver roles, the promoter, its ledger, both sides."""

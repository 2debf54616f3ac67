"""The ledger, wallets and every way money moves (issue: the wallet)."""

// Placeholder: the reliability harness is being written.
print("ledger-reliability")

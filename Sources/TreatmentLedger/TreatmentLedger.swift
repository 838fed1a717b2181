@_exported import LedgerEventStore

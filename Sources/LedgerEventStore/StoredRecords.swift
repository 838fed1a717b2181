import LedgerLMDB

extension EventStore {
  /// The stored log values of up to `limit` events from `position` on, below `end` (the head
  /// when nil), as the log holds them, undecoded: for readers that copy the stored bytes (the audit
  /// exporter) and decode, if at all, off the read path. Decode one with
  /// `RecordCodec.decode(position:_:)`.
  package func readStoredRecords(
    from position: UInt64, limit: Int, end: UInt64? = nil
  ) throws(EventStoreError) -> [(position: UInt64, value: [UInt8])] {
    try withRead { txn in
      let stop = min(end ?? .max, try layout.head(txn).nextPosition)
      var records: [(position: UInt64, value: [UInt8])] = []
      var next = position
      while next < stop && records.count < limit {
        guard let value = try txn.get(layout.log, next.bigEndianBytes) else {
          throw EventStoreError.corruptRecord(position: next, reason: "missing from the log")
        }
        records.append((next, value))
        next += 1
      }
      return records
    }
  }
}

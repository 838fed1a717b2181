import Crypto
import LedgerLMDB

/// An order-independent digest of a set of records: the sum, modulo 2^256, of each record's
/// SHA-256 over its key suffix and its plain value (each preceded by its length). A record
/// written adds its digest; a record overwritten subtracts the digest of the value it had. Two
/// sets of records are taken to be equal when their digests are.
///
/// A rebuild keeps one per stream for the slot it writes, from the plain values it seals while
/// folding, so that comparing with the live slot opens only the live slot's records.
struct RecordSetDigest: Equatable, Sendable {
  /// The 256-bit sum, most significant limb first.
  private var limbs: SIMD4<UInt64> = .zero

  /// The digest of no records.
  static let empty = RecordSetDigest()

  /// The digest of one record: `suffix` is its key after the stream's whole-state key (empty, or
  /// 0x00 and the record key), `value` its plain value.
  static func of(suffix: some Collection<UInt8>, value: [UInt8]) -> RecordSetDigest {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(16 + suffix.count + value.count)
    bytes += UInt64(suffix.count).bigEndianBytes
    bytes += suffix
    bytes += UInt64(value.count).bigEndianBytes
    bytes += value
    var hasher = SHA256()
    hasher.update(data: bytes)
    var digest = RecordSetDigest()
    hasher.finalize().withUnsafeBytes { bytes in
      for limb in 0..<4 {
        var word: UInt64 = 0
        for byte in bytes[(limb * 8)..<(limb * 8 + 8)] { word = word << 8 | UInt64(byte) }
        digest.limbs[limb] = word
      }
    }
    return digest
  }

  /// Adds `other` (a record written).
  mutating func add(_ other: RecordSetDigest) {
    var carry: UInt64 = 0
    for limb in (0..<4).reversed() {
      let (partial, first) = limbs[limb].addingReportingOverflow(other.limbs[limb])
      let (sum, second) = partial.addingReportingOverflow(carry)
      limbs[limb] = sum
      carry = first || second ? 1 : 0
    }
  }

  /// Subtracts `other` (a record's former value).
  mutating func subtract(_ other: RecordSetDigest) {
    var borrow: UInt64 = 0
    for limb in (0..<4).reversed() {
      let (partial, first) = limbs[limb].subtractingReportingOverflow(other.limbs[limb])
      let (difference, second) = partial.subtractingReportingOverflow(borrow)
      limbs[limb] = difference
      borrow = first || second ? 1 : 0
    }
  }
}

/// What one write transaction of a rebuild changed in the slot it writes, per stream: the sum
/// of the records written minus the values they replaced. Made afresh for each attempt of a
/// batch's transaction (its body may run again after the map grows) and added to the rebuild's
/// running digests only once that transaction committed.
final class SlotTally {
  private(set) var changes: [String: RecordSetDigest] = [:]

  /// Records that a record of `stream` now has digest `value`, having had `previous` (nil for a
  /// record that did not exist).
  func wrote(stream: String, value: RecordSetDigest, previous: RecordSetDigest?) {
    var change = changes[stream] ?? .empty
    if let previous { change.subtract(previous) }
    change.add(value)
    changes[stream] = change
  }

  /// `digests` with this tally's changes added.
  func applied(to digests: [String: RecordSetDigest]) -> [String: RecordSetDigest] {
    var result = digests
    for (stream, change) in changes { result[stream, default: .empty].add(change) }
    return result
  }
}

extension EventStore {
  /// Compares the streams of two slots: which differ, which exist on one side only. `rebuilt`
  /// holds the digests of the rebuilt slot's streams, made while folding; the live slot's
  /// records are opened and digested here (its values are sealed under random nonces, so only
  /// their plain values can be compared, and no digest of them is stored). Streams erased since
  /// the rebuild folded them have no records left in either slot.
  func compareSlots(
    _ name: String, live: UInt8?, rebuilt: [String: RecordSetDigest], _ txn: Transaction
  ) throws -> RebuildReport {
    var new: [String: RecordSetDigest] = [:]
    for (stream, digest) in rebuilt where try layout.erasure(txn, stream) == nil {
      new[stream] = digest
    }
    let old = try live.map { try slotDigests(name, slot: $0, txn) } ?? [:]
    let differing = new.keys.filter { old[$0] != nil && old[$0] != new[$0] }.sorted()
    let missing = Set(new.keys).symmetricDifference(old.keys).sorted()
    return RebuildReport(
      projection: name, eventsRead: 0, streams: new.count, differingStreams: differing,
      missingStreams: live == nil ? [] : missing, replacedVersion: nil, seconds: 0)
  }

  /// The digest of each stream's records in `slot` of projection `name`, every value opened.
  func slotDigests(_ name: String, slot: UInt8, _ txn: Transaction) throws
    -> [String: RecordSetDigest]
  {
    let prefix = Layout.projectionSlotPrefix(name, slot: slot)
    return try txn.withCursor(layout.projectionState) { cursor in
      var result: [String: RecordSetDigest] = [:]
      var stream: [UInt8]?
      var streamName = ""
      var keys: StreamKeys?
      var digest = RecordSetDigest.empty
      var entry = try cursor.seek(atLeast: prefix)
      while let current = entry, current.key.starts(with: prefix) {
        let rest = current.key[prefix.count...]
        let end = rest.firstIndex(of: 0) ?? rest.endIndex
        let streamBytes = Array(rest[..<end])
        if streamBytes != stream {
          if stream != nil { result[streamName] = digest }
          stream = streamBytes
          streamName = String(decoding: streamBytes, as: UTF8.self)
          keys = StreamKeys(stream: streamName)
          digest = .empty
        }
        let value = try derivedSealer.open(
          current.value, stream: streamName, database: "projection-state", key: current.key,
          in: txn, keys: keys)
        digest.add(.of(suffix: rest[end...], value: value))
        entry = try cursor.next()
      }
      if stream != nil { result[streamName] = digest }
      return result
    }
  }
}

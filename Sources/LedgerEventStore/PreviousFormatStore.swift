import Foundation
import LedgerFoundation
import LedgerLMDB

/// A read-only view of a store of the previous format (`treatment-ledger-1`, before sealing): its
/// events exactly as stored, each checked against its hash and the log chain as it is read. The
/// one reader `migrate` uses; nothing else opens such a store.
package final class PreviousFormatStore: Sendable {
  let environment: Environment
  let log: Database
  let meta: Database
  /// The number of events and the chain head recorded in `meta/head`.
  package let events: UInt64
  /// The hash of the newest event (the chain head), all zero for an empty store.
  package let chainHead: ChainHash

  private init(environment: Environment, log: Database, meta: Database, head: Layout.Head) {
    self.environment = environment
    self.log = log
    self.meta = meta
    self.events = head.nextPosition
    self.chainHead = head.lastHash
  }

  /// Opens the store at `path` read-only; throws `.incompatibleStore` unless its format marker is
  /// `treatment-ledger-1`.
  package static func open(at path: String) throws(EventStoreError) -> PreviousFormatStore {
    guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
      throw .storeNotFound(path: path)
    }
    var options = Environment.Options()
    options.readOnly = true
    let environment: Environment
    do { environment = try Environment(path: path, options: options) } catch {
      throw .storage(error)
    }
    do {
      return try environment.read { txn in
        let meta = try txn.openDatabase("meta")
        let format = try txn.get(meta, Layout.formatKey).map { String(decoding: $0, as: UTF8.self) }
        guard format == Layout.previousFormatName else {
          throw EventStoreError.incompatibleStore(
            reason: "the store to migrate has the format \(format ?? "(none)"), not "
              + Layout.previousFormatName)
        }
        let log = try txn.openDatabase("log")
        let head = try txn.get(meta, Layout.headKey).map { Layout.Head($0) } ?? .empty
        guard let head else {
          throw EventStoreError.incompatibleStore(reason: "meta/head has the wrong size")
        }
        return PreviousFormatStore(environment: environment, log: log, meta: meta, head: head)
      }
    } catch {
      environment.close()
      switch error {
      case let error as EventStoreError: throw error
      case let error as LMDBError: throw .storage(error)
      default: throw .incompatibleStore(reason: "the store to migrate could not be read")
      }
    }
  }

  /// Up to `limit` events from `position`, as stored. Each must hash to its stored hash and link
  /// to `previous` (the hash of the event before `position`), else `.corruptRecord`.
  package func events(
    from position: UInt64, limit: Int, after previous: ChainHash
  ) throws(EventStoreError) -> [RecordedEvent] {
    do {
      return try environment.read { txn in
        var events: [RecordedEvent] = []
        var link = previous
        var next = position
        while next < self.events && events.count < limit {
          guard let value = try txn.get(log, next.bigEndianBytes) else {
            throw EventStoreError.corruptRecord(position: next, reason: "missing from the log")
          }
          let event = try RecordCodec.decode(position: next, value)
          guard ChainHash.sha256(event.canonicalBytes) == event.hash,
            event.previousHash == link, event.globalPosition == next,
            event.dataForm == .plain
          else {
            throw EventStoreError.corruptRecord(
              position: next, reason: "its hash, chain link or position does not verify")
          }
          link = event.hash
          events.append(event)
          next += 1
        }
        return events
      }
    } catch {
      switch error {
      case let error as EventStoreError: throw error
      case let error as LMDBError: throw .storage(error)
      default: throw .incompatibleStore(reason: "the store to migrate could not be read")
      }
    }
  }

  /// Closes the environment.
  package func close() { environment.close() }
}

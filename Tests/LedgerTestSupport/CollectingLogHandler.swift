import Foundation
import Logging
import Synchronization

/// The messages logged through ``CollectingLogHandler``s that share it, with their metadata.
public final class MessageLog: Sendable {
  /// One logged message.
  public struct Entry: Sendable {
    /// The level it was logged at.
    public var level: Logger.Level
    /// The message text.
    public var message: String
    /// Its metadata, rendered as text.
    public var metadata: [String: String]
  }

  private let entries = Mutex<[Entry]>([])

  /// An empty log.
  public init() {}

  func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

  /// Every entry so far, in order.
  public var all: [Entry] { entries.withLock { $0 } }

  /// The texts of every message so far.
  public var messages: [String] { all.map(\.message) }
}

/// A log handler that keeps every message in a ``MessageLog``, for tests of what is logged.
public struct CollectingLogHandler: LogHandler {
  let log: MessageLog
  /// Metadata added to every message.
  public var metadata: Logger.Metadata = [:]
  /// Messages below this level are dropped.
  public var logLevel: Logger.Level = .trace

  /// A handler that appends to `log`.
  public init(log: MessageLog) { self.log = log }

  /// A logger at `level` whose messages go to `log`.
  public static func logger(_ log: MessageLog, level: Logger.Level = .trace) -> Logger {
    var logger = Logger(label: "test") { _ in CollectingLogHandler(log: log) }
    logger.logLevel = level
    return logger
  }

  /// The handler's metadata value for `key`.
  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  /// Keeps the message.
  public func log(event: LogEvent) {
    let merged = metadata.merging(event.metadata ?? [:]) { $1 }
    log.append(
      MessageLog.Entry(
        level: event.level, message: event.message.description,
        metadata: merged.mapValues { "\($0)" }))
  }
}

import LedgerFoundation

/// Reads stored events of an older schema version as the current version, without touching the
/// stored bytes (see `docs/SCHEMA-EVOLUTION.md`).
///
/// Stored events are immutable and their bytes are hashed, so a new version of an event type
/// never rewrites old events. Instead each step `type` vN → vN+1 is a pure function on `data`;
/// readers that want the newest shape pass events through an ``UpcasterChain``.
public struct Upcaster: Sendable {
  /// The event type this step applies to.
  public let type: String
  /// The version it reads; it produces `fromVersion + 1`.
  public let fromVersion: Int
  /// Turns a `fromVersion` payload into a `fromVersion + 1` payload.
  public let transform: @Sendable (JSONValue) throws(EventStoreError) -> JSONValue

  /// Creates a step.
  public init(
    type: String, fromVersion: Int,
    transform: @escaping @Sendable (JSONValue) throws(EventStoreError) -> JSONValue
  ) {
    self.type = type
    self.fromVersion = fromVersion
    self.transform = transform
  }
}

/// A set of ``Upcaster`` steps, applied repeatedly until no step matches.
public struct UpcasterChain: Sendable {
  private let steps: [String: [Int: Upcaster]]

  /// Creates a chain; at most one step per type and version (a later one replaces an earlier).
  public init(_ upcasters: [Upcaster]) {
    var steps: [String: [Int: Upcaster]] = [:]
    for step in upcasters { steps[step.type, default: [:]][step.fromVersion] = step }
    self.steps = steps
  }

  /// The event as its newest known version: `schemaVersion` and `data` changed, every other
  /// field — including `hash` and `canonicalBytes`, which still describe the stored v1 bytes —
  /// unchanged. Events with no matching step are returned as they are.
  public func upcast(_ event: RecordedEvent) throws(EventStoreError) -> RecordedEvent {
    var current = event
    while let step = steps[current.type]?[current.schemaVersion] {
      current.data = try step.transform(current.data)
      current.schemaVersion += 1
    }
    return current
  }
}
